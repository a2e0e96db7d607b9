"""Discipline and assessment records for tests, made the way the office makes them: evaluations
scored item by item, follow-up visits and assignments.

Plain functions like ``tests/factories.py`` (every one flushes); a test imports the module:
``from tests.discipline import records``.
"""
import datetime as dt
import itertools

from sqlalchemy import select

from app.extensions import db
from models import (
    Assignment,
    FollowUp,
    FormVersion,
    UsageRequest,
)
from tests import factories

_seq = itertools.count(1)


def evaluation(expert, on: dt.date, total: int | None = None, *, variant="A", low: dict | None = None,
               unit=None, enterprise_name="武进测试企业有限公司"):
    """An evaluation on form version 1. Items score their maximum, then points are taken
    off the last item(s) until the total is ``total``; ``low`` = {position: (score, problem)}
    sets given items explicitly."""
    form = db.session.scalar(select(FormVersion).where(FormVersion.number == 1, FormVersion.title.like("%评价表")))
    # positions as printed on the whole sheet: 必填 1–7, A 8–15, B 16–23
    position = {f.id: n for n, f in enumerate((f for f in form.fields if f.kind == "score"), start=1)}
    items = [i for i in form.fields if i.kind == "score" and i.section.key in ("required", variant)]
    scores = {i.id: i.max_score for i in items}
    problems = {}
    for pos, (score, problem) in (low or {}).items():
        item = next(i for i in items if position[i.id] == pos)
        scores[item.id] = score
        problems[item.id] = problem
    if total is not None:
        missing = sum(scores.values()) - total
        for item in reversed(items):
            if missing <= 0:
                break
            if low and position[item.id] in low:
                continue
            take = min(missing, scores[item.id])
            scores[item.id] -= take
            missing -= take
        assert missing == 0, "cannot reach that total"
    unit = unit or factories.org_unit()
    ev = factories.evaluation(form, unit=unit, expert=expert, enterprise_name=enterprise_name, matter="执法检查",
                         evaluator_name="王检查", variant=variant, day=on,
                         submitted_at=dt.datetime.combine(on, dt.time(9), dt.UTC), scores=scores, notes=problems)
    ev.client_uuid = f"t-{next(_seq)}"
    db.session.flush()
    return ev


def follow_up(expert, on: dt.date, satisfaction: int):
    fu = FollowUp(expert=expert, visited_on=on, satisfaction=satisfaction, comment="回访")
    db.session.add(fu)
    db.session.flush()
    return fu


def assignment(expert, on: dt.date, response="accepted", attended=True):
    unit = factories.org_unit()
    req = UsageRequest(request_no=f"SQ{next(_seq):06d}", unit=unit, activity_type="inspection",
                       subject="执法检查", start_date=on, end_date=on, headcount=1)
    db.session.add(req)
    a = Assignment(request=req, expert=expert, response=response, attended=attended)
    db.session.add(a)
    db.session.flush()
    return a
