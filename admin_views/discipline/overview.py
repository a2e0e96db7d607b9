"""The discipline panel of the expert's page: violations, interviews and grades the user may see."""
from __future__ import annotations

from sqlalchemy import select

from admin_views.base import current_role
from app.auth.rights import allowed
from app.extensions import db
from app.services.discipline import ladder as discipline_service
from models import AnnualAssessment, Interview, Violation


def discipline_overview(expert) -> dict:
    """What the expert panel shows, limited to what the current user may see."""
    role = current_role()
    out = {"violations": [], "interviews": [], "assessments": [], "sanction": None,
           "see_violations": allowed(role, "violation", "list"),
           "see_assessments": allowed(role, "annual_assessment", "list"),
           "see_interviews": allowed(role, "interview", "list"),
           "may_record": allowed(role, "violation", "create"),
           "may_interview": allowed(role, "interview", "edit")}
    if out["see_violations"]:
        out["violations"] = list(
            db.session.scalars(
                select(Violation)
                .where(Violation.expert_id == expert.id)
                .order_by(Violation.found_on.desc(), Violation.id.desc())
            )
        )
        out["sanction"] = discipline_service.current_sanction(expert)
    if out["see_interviews"]:
        out["interviews"] = list(db.session.scalars(
            select(Interview).where(Interview.expert_id == expert.id).order_by(Interview.created_at.desc())))
    if out["see_assessments"]:
        out["assessments"] = list(
            db.session.scalars(
                select(AnnualAssessment)
                .where(AnnualAssessment.expert_id == expert.id)
                .order_by(AnnualAssessment.year.desc())
            )
        )
    return out
