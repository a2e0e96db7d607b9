"""The evaluations of one expert as he sees them on his phone (SPEC §1: experts see their
evaluations; §3.15: only his own; 第二十二条, 附件5).

Only what the form says about his work: the date, the 考评事项, the total and each item's
score against its maximum. Never who evaluated (person or unit), the enterprise, the
evaluator's notes, nor anything from the enterprise's follow-up (回访测评): those stay
confidential (附件3 第5点, SPEC §5).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.services.scoring.evaluations import item_numbers
from models import Evaluation, FormAnswer, FormSubmission


@dataclass(frozen=True)
class ItemScore:
    number: int  # the item's number on the printed form (附件5 序号)
    text: str
    score: int
    max_score: int


@dataclass(frozen=True)
class OwnEvaluation:
    evaluated_on: dt.date
    matter: str
    total: int
    max_total: int
    items: tuple[ItemScore, ...]


def evaluations_of(expert_id: int) -> list[OwnEvaluation]:
    """The expert's evaluations, newest first, with item scores in the form's order."""
    rows = db.session.scalars(
        select(Evaluation).where(Evaluation.expert_id == expert_id)
        .options(selectinload(Evaluation.submission).selectinload(FormSubmission.answers)
                 .selectinload(FormAnswer.field), selectinload(Evaluation.version))
        .order_by(Evaluation.evaluated_on.desc(), Evaluation.id.desc())
    ).all()
    numbers_by_form: dict[int, dict[int, int]] = {}
    out = []
    for evaluation in rows:
        numbers = numbers_by_form.setdefault(evaluation.version_id, item_numbers(evaluation.version))
        items = sorted((s for s in evaluation.scores), key=lambda s: (s.item.position, s.item_id))
        out.append(OwnEvaluation(
            evaluated_on=evaluation.evaluated_on, matter=evaluation.matter, total=evaluation.total,
            max_total=evaluation.version.total_max,
            items=tuple(ItemScore(numbers.get(s.item_id, 0), s.item.text, s.score, s.item.max_score) for s in items),
        ))
    return out
