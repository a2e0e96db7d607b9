"""The expert page's lifecycle panel: applications, the conditions of 第十一条 today, the
term, letters and the timeline (data only; rules stay in the services)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from admin_views.base import current_role
from app.auth.rights import allowed
from app.extensions import db
from app.services.lifecycle import review
from app.services.lifecycle import terms as term_service
from app.services.lifecycle.eligibility import eligibility_of
from app.services.status import current_term
from app.services.timeline import timeline_of
from models import Application, Expert, Term


@dataclass
class LifecyclePanel:
    """What the expert's page shows of his lifecycle (data only; rules stay in the services)."""

    applications: list
    open_application: Application | None
    eligibility: object
    term: Term | None
    letters: list
    pending_dismissals: list
    events: list


def lifecycle_panel(expert: Expert) -> LifecyclePanel:
    """Applications, the conditions of 第十一条 today, the term, letters and the timeline
    (computed once per request: two panels read it)."""
    from flask import g

    cache = g.setdefault("_lifecycle_panels", {})
    if expert.id not in cache:
        cache[expert.id] = _build_panel(expert)
    return cache[expert.id]


def _build_panel(expert: Expert) -> LifecyclePanel:
    apps = list(db.session.scalars(
        select(Application).where(Application.expert_id == expert.id).order_by(Application.id.desc())
    ))
    open_app = next((a for a in apps if a.state in review.OPEN_STATES), None)
    return LifecyclePanel(
        applications=apps,
        open_application=open_app,
        eligibility=eligibility_of(expert, application=open_app or (apps[0] if apps else None)),
        term=current_term(expert) or term_service.latest_term(expert),
        letters=sorted(expert.commitment_letters, key=lambda x: x.signed_on, reverse=True),
        pending_dismissals=[d for d in expert.dismissals if d.state == "proposed"],
        events=timeline_of(expert),
    )


def can(endpoint: str, action_name: str = "list") -> bool:
    return allowed(current_role(), endpoint, action_name)
