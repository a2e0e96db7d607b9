"""Who is on a job, and the small helpers every step of using experts shares (SPEC §3.5, §3.6).

* An expert is **on a job** while his assignment is not a backup and its answer is
  pending or accepted (:data:`OPEN_RESPONSES`); such an assignment also books him for the
  job's dates (:mod:`app.services.dispatch.candidates`). A request still needs its headcount less
  the experts on it; the expert's own task list (his phone) shows every job he was asked
  to do, backups not yet called left out.
* The shared helpers: stripped form text, the actor's id, a timeline event of the
  expert, the request's version bump, a written reason (designation, 第十四条; emergency
  paperwork, 第十五条) and a setting read from the settings table.

The steps themselves live in their own modules: :mod:`app.services.dispatch.usage_requests`,
:mod:`app.services.dispatch.candidates`, :mod:`app.services.dispatch.draws`, :mod:`app.services.dispatch.designation`,
:mod:`app.services.dispatch.responses`, :mod:`app.services.dispatch.completion`,
:mod:`app.services.dispatch.paperwork` and :mod:`app.services.dispatch.fairness`.

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.extensions import db
from app.services.errors import DomainError
from models import Assignment, Setting, StatusEvent, UsageRequest

#: Responses that keep an expert on a job (and book him for those dates).
OPEN_RESPONSES = ("pending", "accepted")

MIN_REASON_CHARS = 5


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------


def text(value) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()


def setting(key: str, default: str) -> str:
    value = db.session.scalar(select(Setting.value).where(Setting.key == key))
    return value if value not in (None, "") else default


def timeline_event(expert_id: int, event: str, reason: str | None, actor_id: int | None) -> None:
    db.session.add(StatusEvent(expert_id=expert_id, event=event[:100], reason=reason, actor_id=actor_id))


def touch(req: UsageRequest) -> None:
    """Bump the request's version with this change, so that two people staffing the same
    request at the same moment cannot both succeed (the second gets a stale-data refusal)."""
    req.updated_at = utcnow()


def actor_id(actor) -> int | None:
    if actor is None:
        return None
    return actor if isinstance(actor, int) else getattr(actor, "id", None)


def written_reason(reason: str | None, what: str) -> str:
    reason = text(reason)
    if not reason:
        raise DomainError(f"{what}须填写书面理由。")
    if len(reason) < MIN_REASON_CHARS:
        raise DomainError(f"{what}的理由过于简单，请具体说明（至少{MIN_REASON_CHARS}个字）。")
    return reason


# --------------------------------------------------------------------------------------
# who is on a job; the expert's own tasks
# --------------------------------------------------------------------------------------


def active_assignments(req: UsageRequest) -> list[Assignment]:
    """The experts on the job: not backups, pending or accepted (completed ones included)."""
    return [a for a in req.assignments if not a.is_backup and a.response in OPEN_RESPONSES]


def still_needed(req: UsageRequest) -> int:
    """How many more experts the request needs."""
    return req.headcount - len(active_assignments(req))


def tasks_of(expert_id: int) -> list[Assignment]:
    """The jobs an expert is asked to do (backups not yet called are not shown), newest first."""
    return db.session.scalars(
        select(Assignment).join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.expert_id == expert_id, Assignment.is_backup.is_(False),
               UsageRequest.state != "cancelled")
        .options(selectinload(Assignment.request).selectinload(UsageRequest.enterprises),
                 selectinload(Assignment.request).selectinload(UsageRequest.unit))
        .order_by(UsageRequest.start_date.desc(), Assignment.id.desc())
    ).all()
