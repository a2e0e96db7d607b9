"""Figures for the admin home page (issue: dashboard)."""
from sqlalchemy import func, select

from app.extensions import db
from models import Application, Complaint, Expert, ExpertGroup, expert_group_link
from models.choices import EXPERT_STAGES


def experts_per_group() -> list[tuple[str, int]]:
    """(group name, experts in the pool) for each of the 12 groups, in regulation order."""
    rows = db.session.execute(
        select(ExpertGroup.name, func.count(Expert.id))
        .select_from(ExpertGroup)
        .outerjoin(expert_group_link, expert_group_link.c.group_id == ExpertGroup.id)
        .outerjoin(Expert, (Expert.id == expert_group_link.c.expert_id) & (Expert.stage == "in_pool"))
        .group_by(ExpertGroup.id, ExpertGroup.name, ExpertGroup.sort_order)
        .order_by(ExpertGroup.sort_order)
    ).all()
    return [(name, count) for name, count in rows]


def experts_per_stage() -> list[tuple[str, int]]:
    """(stage label, count) for every stage."""
    counts = dict(db.session.execute(select(Expert.stage, func.count()).group_by(Expert.stage)).all())
    return [(label, counts.get(code, 0)) for code, label in EXPERT_STAGES.items()]


def pending_work() -> list[tuple[str, int, str]]:
    """(label, count, admin endpoint) of work waiting for someone."""
    open_apps = db.session.scalar(
        select(func.count()).select_from(Application).where(
            Application.state.in_(("submitted", "prelim_passed", "test_passed", "shortlisted", "approved"))
        )
    )
    new_complaints = db.session.scalar(select(func.count()).select_from(Complaint).where(Complaint.state != "closed"))
    return [("待处理的申请", open_apps or 0, "application"), ("未办结的投诉", new_complaints or 0, "complaint")]
