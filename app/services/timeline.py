"""The expert's timeline: every status change with who, when and why (SPEC §2, issue 3).

Every lifecycle transition (review steps, appointment, renewal, commitment letter,
dismissal, announcement), every step of the discipline ladder and every dismissal
proposal calls :func:`record_event`; the expert's admin page lists the events newest
first. It sits at the top of the services because every area writes to it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.extensions import db
from models import Expert, StatusEvent, User


def _actor_id(actor: User | int | None) -> int | None:
    if actor is None:
        return None
    return actor if isinstance(actor, int) else actor.id


def record_event(expert: Expert, event: str, reason: str | None = None, actor: User | int | None = None,
                 at: dt.datetime | None = None) -> StatusEvent:
    """Add one event (a short Chinese summary such as 初审通过) to the expert's timeline.

    ``actor`` is the user who acted, or None when a rule of the system acted
    (e.g. the absence rule of 第十三条(四)).
    """
    item = StatusEvent(expert=expert, event=event[:100], reason=(reason or None), actor_id=_actor_id(actor),
                       at=at or utcnow())
    db.session.add(item)
    db.session.flush()
    return item


def timeline_of(expert: Expert | int, limit: int | None = None) -> list[StatusEvent]:
    """The expert's events, newest first (ties broken by insertion order)."""
    eid = expert if isinstance(expert, int) else expert.id
    query = (
        select(StatusEvent)
        .where(StatusEvent.expert_id == eid)
        .options(selectinload(StatusEvent.actor))
        .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))
