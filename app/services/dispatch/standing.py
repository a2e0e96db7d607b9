"""Whether an expert may take or finish a job on its dates (SPEC §3.4, §3.16).

The two refusals of "penalties bite at once" (:mod:`app.services.dispatch.withdrawal`):
an expert not dispatchable on a job's first or last day cannot accept it, and work dated
on or after the day a penalty took effect cannot be recorded as done (nor paid).
"""
from __future__ import annotations

import datetime as dt

from app.services.errors import DomainError
from app.services.status import penalties_of, penalty_on, statuses_for
from models import Assignment


def _fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def check_may_accept(assignment: Assignment) -> None:
    """Refuse (DomainError) an expert who is not dispatchable on the job's first or last day."""
    req = assignment.request
    expert = assignment.expert
    external = (expert.source or "district") != "district"
    for day in dict.fromkeys((req.start_date, req.end_date)):
        status = statuses_for([expert.id], on=day).get(expert.id)
        if status is None:
            continue
        barred = status.code in ("suspended", "blacklisted", "dismissed")
        if barred or (not external and not status.dispatchable):
            why = "；".join(status.reasons) or status.display
            raise DomainError(f"{expert.name}{_fmt(day)}不可派遣（{status.display}：{why}），不能接受本次任务。")


def check_may_complete(assignment: Assignment, service_date: dt.date) -> None:
    """Refuse (DomainError) work dated on or after the day a penalty of the expert took effect."""
    penalty = penalty_on(penalties_of([assignment.expert_id]).get(assignment.expert_id, []), service_date)
    if penalty is not None:
        raise DomainError(f"{assignment.expert.name}{penalty.reason}，{_fmt(service_date)}的工作不能登记完成，"
                          f"也不予支付。")
