"""Shared by the dispatch admin pages: who may act on a usage request (the requesting unit,
the system administrator, 基础科 for classifying declines) and the active units to choose from.
Actions commit through :func:`admin_views.helpers.run`.
"""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from admin_views.base import current_role
from app.extensions import db
from models import OrgUnit, UsageRequest

CATEGORY = "专家使用"
UNIT_ROLES = ("department", "town")
STAFF_RESPONSES = ("accepted", "declined_justified", "declined_unjustified", "conflict", "no_show")


# --------------------------------------------------------------------------------------
# who may act
# --------------------------------------------------------------------------------------


def own_unit_id() -> int | None:
    """The unit whose rows a 局科室/大队 or 镇街 user is limited to (None: not limited)."""
    if current_role() in UNIT_ROLES:
        return current_user.org_unit_id or -1
    return None


def can_manage(req: UsageRequest) -> bool:
    """The requesting unit and the system administrator act on a request."""
    role = current_role()
    if role == "sysadmin":
        return True
    return role in UNIT_ROLES and current_user.org_unit_id is not None and current_user.org_unit_id == req.unit_id


def can_classify(req: UsageRequest) -> bool:
    """Whether a decline may be reclassified: the requesting unit, 基础科, the administrator."""
    return can_manage(req) or current_role() == "office"


def _unit_query():
    units = select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.kind, OrgUnit.name)
    return db.session.scalars(units).all()
