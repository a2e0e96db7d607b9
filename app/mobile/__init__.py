"""Phone pages for staff and experts under ``/m/`` (SPEC §7): the home page, scoring with the
附件5 form, the expert's tasks and opinions, his fee statement, his permit and his evaluations —
each a module that attaches its routes to ``bp``."""
from app.mobile import evaluations, permit, scoring, statement, tasks, views  # noqa: F401  (routes)
from app.mobile.blueprint import bp

__all__ = ["bp"]
