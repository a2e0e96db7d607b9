"""Penalties bite at once (SPEC §3.16; 第十三条, 第二十一条).

"列入'黑名单'的专家三年内……不予以使用" (第二十一条) and a dismissal ends the appointment
(第十三条): neither may leave the expert on jobs already drawn. One rule, used by every
screen and by both areas that impose a penalty:

* :func:`release_for_penalty` — called when a suspension or blacklisting is verified
  (:func:`app.services.discipline.ladder.verify_violation`) and when a dismissal is approved
  (:func:`app.services.lifecycle.dismissal.approve_dismissal`). Every open assignment of the
  expert (pending or accepted, backup or not, not completed, on a request neither completed
  nor cancelled) whose work falls on or after the day the penalty takes effect — the job
  ends on or after that day — is released (答复 ``withdrawn``) with the reason. Where the
  expert was on the job, the next backup of the draw is called; where there is none, the
  requesting unit must draw again (:func:`needs_redraw`, shown on the request page and the
  unit's dashboard). Fees of work dated on or after that day that are not settled yet are
  taken back (:mod:`app.services.fees.pricing` refuses to price them).
* :func:`app.services.dispatch.standing.check_may_accept` — an expert who is not dispatchable
  on the first or the last day of a job cannot accept it (the draw's own test, :mod:`app.services.dispatch.candidates`).
  Experts from 上级库 or 库外 (第十四条) are refused only for a penalty.
* :func:`app.services.dispatch.standing.check_may_complete` — work dated on or after the day of a penalty cannot be
  recorded as done (nor paid). Work done before stays as it is and is paid.

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.services.dispatch.assignments import OPEN_RESPONSES, actor_id, still_needed, timeline_event, touch
from app.services.dispatch.responses import promote_backup
from app.services.fees.pricing import open_records_query, price_records
from models import Assignment, Expert, ServiceRecord, UsageRequest

#: The answer recorded on an assignment released because of a penalty.
WITHDRAWN = "withdrawn"
#: Requests that no longer take experts.
CLOSED_STATES = ("completed", "cancelled")


@dataclass
class Release:
    """One assignment released: the backup called in its place, or a new draw needed."""

    assignment: Assignment
    promoted: Assignment | None = None

    @property
    def request(self) -> UsageRequest:
        return self.assignment.request

    @property
    def redraw_needed(self) -> bool:
        return needs_redraw(self.request)


def release_for_penalty(expert: Expert | int, effective_on: dt.date, reason: str, *, actor=None,
                        now: dt.datetime | None = None) -> list[Release]:
    """Release the expert from every open job whose work falls on or after ``effective_on``
    (see the module docstring); ``reason`` is recorded on each. Returns what was released."""
    now = now or utcnow()
    eid = expert if isinstance(expert, int) else expert.id
    open_ones = db.session.scalars(
        select(Assignment).join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id == eid, Assignment.response.in_(OPEN_RESPONSES),
               Assignment.completed_at.is_(None), UsageRequest.state.not_in(CLOSED_STATES),
               UsageRequest.end_date >= effective_on)
        .order_by(UsageRequest.start_date, Assignment.id)
    ).all()
    released = []
    for assignment in open_ones:
        req = assignment.request
        on_job = not assignment.is_backup
        assignment.response = WITHDRAWN
        assignment.response_reason = reason
        assignment.responded_at = now
        assignment.responded_by_id = actor_id(actor)
        touch(req)
        what = "解除选派" if on_job else "取消候补"
        timeline_event(eid, f"{what}：{req.request_no}", f"{req.request_no} {req.subject}：{reason}", actor_id(actor))
        db.session.flush()
        release = Release(assignment)
        if on_job:
            release.promoted = promote_backup(req, actor=actor, why="前序专家被解除选派")
        released.append(release)
    _withhold_fees(eid, effective_on)
    return released


def _withhold_fees(expert_id: int, effective_on: dt.date) -> None:
    """Take back the amounts of the expert's unsettled records dated on or after ``effective_on``
    (a penalty dated back over work already recorded): pricing now refuses them."""
    records = db.session.scalars(
        open_records_query().where(ServiceRecord.expert_id == expert_id, ServiceRecord.service_date >= effective_on)
    ).all()
    if records:
        price_records(records)


def needs_redraw(req: UsageRequest) -> bool:
    """True when experts were released from the request and no backup filled their place:
    the requesting unit must draw again."""
    if req.state in CLOSED_STATES or still_needed(req) <= 0:
        return False
    return any(a.response == WITHDRAWN and not a.is_backup for a in req.assignments)


def requests_to_redraw(unit_id: int | None = None) -> list[UsageRequest]:
    """The requests (of one unit, or all) that must be drawn again after a release."""
    query = select(UsageRequest).where(
        UsageRequest.id.in_(select(Assignment.request_id).where(Assignment.response == WITHDRAWN,
                                                                 Assignment.is_backup.is_(False))),
        UsageRequest.state.not_in(CLOSED_STATES))
    if unit_id is not None:
        query = query.where(UsageRequest.unit_id == unit_id)
    return [req for req in db.session.scalars(query.order_by(UsageRequest.start_date)) if needs_redraw(req)]
