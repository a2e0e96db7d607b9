"""Shared by the dispatch admin pages: who may act on a usage request (the requesting unit,
the system administrator, 基础科 for classifying declines) and the active units to choose from.
Actions commit through :func:`admin_views.helpers.run`.
"""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from admin_views.base import current_role
from app.auth.rights import classifies_declines, manages_every_request, works_for_a_unit
from app.extensions import db
from models import OrgUnit, UsageRequest

CATEGORY = "专家使用"
STAFF_RESPONSES = ("accepted", "declined_justified", "declined_unjustified", "conflict", "no_show")


# --------------------------------------------------------------------------------------
# who may act
# --------------------------------------------------------------------------------------


def own_unit_id() -> int | None:
    """The unit whose rows a 局科室/大队 or 镇街 user is limited to (None: not limited)."""
    if works_for_a_unit(current_role()):
        return current_user.org_unit_id or -1
    return None


def can_manage(req: UsageRequest) -> bool:
    """The requesting unit and the system administrator act on a request."""
    role = current_role()
    if manages_every_request(role):
        return True
    return works_for_a_unit(role) and current_user.org_unit_id is not None and current_user.org_unit_id == req.unit_id


def can_classify(req: UsageRequest) -> bool:
    """Whether a decline may be reclassified: the requesting unit, 基础科, the administrator."""
    return can_manage(req) or classifies_declines(current_role())


def _unit_query():
    units = select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.kind, OrgUnit.name)
    return db.session.scalars(units).all()
