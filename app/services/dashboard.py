"""Figures for the admin home page (issue: dashboard).

Every count of experts by status goes through :mod:`app.services.status` (its SQL form,
``standing_expr``), so the dashboard says what the expert list and each expert's page say.
"""
import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.services.status import IN_TERM, STANDINGS, standing_counts, standing_expr
from models import Application, Complaint, Expert, ExpertGroup, expert_group_link


def experts_per_group(on: dt.date | None = None) -> list[tuple[str, int]]:
    """(group name, experts 在聘 today) for each of the 12 groups, in regulation order."""
    in_term = select(Expert.id).where(standing_expr(on).in_(IN_TERM))
    rows = db.session.execute(
        select(ExpertGroup.name, func.count(expert_group_link.c.expert_id))
        .select_from(ExpertGroup)
        .outerjoin(expert_group_link, (expert_group_link.c.group_id == ExpertGroup.id)
                   & expert_group_link.c.expert_id.in_(in_term))
        .group_by(ExpertGroup.id, ExpertGroup.name, ExpertGroup.sort_order)
        .order_by(ExpertGroup.sort_order)
    ).all()
    return [(name, count) for name, count in rows]


def experts_per_standing(on: dt.date | None = None) -> list[tuple[str, str, int]]:
    """(standing code, its word, count) for every standing of app.services.status."""
    counts = standing_counts(on)
    return [(code, label, counts[code]) for code, label in STANDINGS.items()]


def pending_work() -> list[tuple[str, int, str]]:
    """(label, count, admin endpoint) of work waiting for someone."""
    open_apps = db.session.scalar(
        select(func.count()).select_from(Application).where(
            Application.state.in_(("submitted", "prelim_passed", "test_passed", "shortlisted", "approved"))
        )
    )
    new_complaints = db.session.scalar(select(func.count()).select_from(Complaint).where(Complaint.state != "closed"))
    return [("待处理的申请", open_apps or 0, "application"), ("未办结的投诉", new_complaints or 0, "complaint")]
