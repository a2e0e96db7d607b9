"""Phone pages for staff and experts under ``/m/`` (SPEC §7): the home page — for towns and
departments their workspace —, scoring with the 附件5 form, any form the office built
(``/m/forms``), usage requests from creation to completion, notices and receipts, contacting a
drawn expert, the expert's tasks and opinions, his fee statement, his permit and his
evaluations — each a module that attaches its routes to ``bp``."""
from app.mobile import (  # noqa: F401  (routes)
    contact,
    evaluations,
    fill,
    notices,
    permit,
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
