"""Phone pages for staff and experts under ``/m/`` (SPEC §7): the home page — for towns and
departments their workspace —, scoring with the 附件5 form, usage requests from creation to
completion, notices and receipts, contacting a drawn expert, the expert's tasks and
opinions, and his fee statement — each a module that attaches its routes to ``bp``."""
from app.mobile import (  # noqa: F401  (routes)
    contact,
    notices,
    requests,
    scoring,
    staffing,
    statement,
    tasks,
    views,
    workspace,
)
from app.mobile.blueprint import bp

__all__ = ["bp"]
