"""Public pages, no login, phone first (SPEC §5): the pages below, each a module that attaches
its routes to ``bp`` — the home page, permit verification (the QR target), the notice receipt,
complaints, self-recommendation, announcements and the forms the office opens to the public
(``/f/<token>``)."""
from app.public import announcements, apply, complaints, forms, receipt, verify, views  # noqa: F401  (routes)
from app.public.blueprint import bp

__all__ = ["bp"]
