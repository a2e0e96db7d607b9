"""Fixtures for discipline and assessment tests: appointed experts on chosen terms,
evaluations scored item by item, follow-up visits and assignments."""
import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from app.extensions import db
from models import (
    Assignment,
    CommitmentLetter,
    EvalForm,
    EvalScore,
    Evaluation,
    FollowUp,
    Term,
    UsageRequest,
)
from tests import factories

_seq = itertools.count(1)


class DisciplineMakers:
    """Factories for this area; every one flushes."""

    def expert_on_term(self, start: dt.date, end: dt.date, **kw):
        """A district expert with a term from ``start`` to ``end`` and a signed commitment letter."""
        expert = factories.expert(**kw)
        term = Term(expert=expert, cohort=1, doc_no="武应急〔2026〕1号", start_date=start, end_date=end)
        db.session.add(term)
        db.session.add(CommitmentLetter(expert=expert, signed_on=start))
        db.session.flush()
        return expert

    def evaluation(self, expert, on: dt.date, total: int | None = None, *, variant="A", low: dict | None = None,
                   unit=None, enterprise_name="武进测试企业有限公司"):
        """An evaluation on form version 1. Items score their maximum, then points are taken
        off the last item(s) until the total is ``total``; ``low`` = {position: (score, problem)}
        sets given items explicitly."""
        form = db.session.scalar(select(EvalForm).where(EvalForm.version == 1))
        items = [i for i in form.items if i.section in ("required", variant)]
        scores = {i.id: i.max_score for i in items}
        problems = {}
        for pos, (score, problem) in (low or {}).items():
            item = next(i for i in items if i.position == pos)
            scores[item.id] = score
            problems[item.id] = problem
        if total is not None:
            missing = sum(scores.values()) - total
            for item in reversed(items):
                if missing <= 0:
                    break
                if low and item.position in low:
                    continue
                take = min(missing, scores[item.id])
                scores[item.id] -= take
                missing -= take
            assert missing == 0, "cannot reach that total"
        unit = unit or factories.org_unit()
        ev = Evaluation(form=form, variant=variant, expert=expert, enterprise_name=enterprise_name,
                        matter="执法检查", evaluator_name="王检查", unit=unit, evaluated_on=on,
                        total=sum(scores.values()), client_uuid=f"t-{next(_seq)}")
        for item in items:
            ev.scores.append(EvalScore(item=item, score=scores[item.id], problem=problems.get(item.id)))
        db.session.add(ev)
        db.session.flush()
        return ev

    def follow_up(self, expert, on: dt.date, satisfaction: int):
        fu = FollowUp(expert=expert, visited_on=on, satisfaction=satisfaction, comment="回访")
        db.session.add(fu)
        db.session.flush()
        return fu

    def assignment(self, expert, on: dt.date, response="accepted", attended=True):
        unit = factories.org_unit()
        req = UsageRequest(request_no=f"SQ{next(_seq):06d}", unit=unit, activity_type="inspection",
                           subject="执法检查", start_date=on, end_date=on, headcount=1)
        db.session.add(req)
        a = Assignment(request=req, expert=expert, response=response, attended=attended)
        db.session.add(a)
        db.session.flush()
        return a


@pytest.fixture
def dmake(app):
    return DisciplineMakers()
