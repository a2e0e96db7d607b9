"""Staff and expert login: ``/login`` and ``/logout`` (SPEC §7), two-factor login and the
password change — each a module that attaches its routes to ``bp``."""
from app.auth import account, views  # noqa: F401  (routes)
from app.auth.blueprint import bp

__all__ = ["bp"]
