"""The fairness report of the draw (SPEC §3.5): how often each expert of a group was drawn.

Per group and calendar year, each member's count of jobs chosen by the random draw is
set against the group's average; twice the average or more is flagged.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from models import Assignment, Expert, ExpertGroup, UsageRequest, expert_group_link


@dataclass
class FairnessRow:
    expert: Expert
    drawn: int
    ratio: float | None
    flagged: bool


@dataclass
class FairnessGroup:
    group: ExpertGroup
    members: int
    total: int
    average: float
    rows: list[FairnessRow]

    @property
    def flagged(self) -> list[FairnessRow]:
        return [r for r in self.rows if r.flagged]


FLAG_RATIO = 2


def fairness_report(year: int) -> list[FairnessGroup]:
    """Per group, how often each member was drawn in ``year`` against the group's average
    (SPEC §3.5); drawn twice the average or more is flagged.

    "Drawn" counts assignments chosen by the random draw (a backup that was called in
    counts, a backup never called does not) on jobs starting in ``year``. Members are the
    district experts in the pool; an expert in several groups appears under each.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    counts = dict(db.session.execute(
        select(Assignment.expert_id, func.count(Assignment.id))
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(Assignment.method == "draw", Assignment.is_backup.is_(False),
               UsageRequest.start_date >= start, UsageRequest.start_date <= end)
        .group_by(Assignment.expert_id)
    ).all())
    members = db.session.execute(
        select(expert_group_link.c.group_id, Expert)
        .join(Expert, Expert.id == expert_group_link.c.expert_id)
        .where(Expert.source == "district", (Expert.stage == "in_pool") | Expert.id.in_(list(counts) or [-1]))
        .order_by(Expert.name)
    ).all()
    by_group: dict[int, list[Expert]] = defaultdict(list)
    for group_id, expert in members:
        by_group[group_id].append(expert)
    out = []
    for group in db.session.scalars(select(ExpertGroup).order_by(ExpertGroup.sort_order)):
        experts = by_group.get(group.id, [])
        if not experts:
            continue
        total = sum(counts.get(e.id, 0) for e in experts)
        average = total / len(experts)
        rows = []
        for e in experts:
            n = counts.get(e.id, 0)
            ratio = (n / average) if average else None
            rows.append(FairnessRow(e, n, ratio, bool(average) and n > 0 and n >= FLAG_RATIO * average))
        rows.sort(key=lambda r: (-r.drawn, r.expert.name))
        out.append(FairnessGroup(group, len(experts), total, average, rows))
    return out


