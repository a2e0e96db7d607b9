"""Phone pages for staff and experts under ``/m/`` (SPEC §7): the home page, scoring with the
附件5 form, any form the office built (``/m/forms``), the expert's tasks and opinions, and his
fee statement — each a module that attaches its routes to ``bp``."""
from app.mobile import fill, scoring, statement, tasks, views  # noqa: F401  (routes)
from app.mobile.blueprint import bp

__all__ = ["bp"]
