"""Shared by the dispatch admin pages: who may act on a usage request (the requesting unit,
the system administrator, 基础科 for classifying declines), date parsing with Chinese messages,
and the commit-or-flash step every action ends with.
"""
from __future__ import annotations

from flask import flash
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from admin_views.base import STALE_MESSAGE, current_role
from app.extensions import db
from app.services.errors import DomainError
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


def _commit_or_flash(action, success: str | None = None):
    """Run ``action``; commit on success, roll back and show the Chinese message on refusal."""
    try:
        result = action()
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")
        return None, False
    except StaleDataError:
        db.session.rollback()
        flash(STALE_MESSAGE, "error")
        return None, False
    if success:
        flash(success, "success")
    return result, True


def _unit_query():
    units = select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.kind, OrgUnit.name)
    return db.session.scalars(units).all()
