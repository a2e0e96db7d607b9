"""Evaluation figures for the dashboard charts (附件5 totals, 第二十二条).

Plain values for plain HTML bars: the average total per expert group and the
distribution of totals over five score bands, for one calendar year.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from app import clock
from app.extensions import db
from app.services.scoring.coverage import coverage
from models import Evaluation, ExpertGroup, expert_group_link

# Score bands (inclusive bounds) for the distribution chart.
SCORE_BANDS = ((0, 59), (60, 69), (70, 79), (80, 89), (90, 100))


def _year(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def average_score_per_group(year: int) -> list[tuple[str, Decimal | None, int]]:
    """(group name, average evaluation total or None, number of evaluations) for the 12 groups
    in regulation order; an expert in several groups counts in each of them."""
    first, last = _year(year)
    rows = db.session.execute(
        select(ExpertGroup.name, func.count(Evaluation.id), func.sum(Evaluation.total))
        .select_from(ExpertGroup)
        .outerjoin(expert_group_link, expert_group_link.c.group_id == ExpertGroup.id)
        .outerjoin(Evaluation, (Evaluation.expert_id == expert_group_link.c.expert_id)
                   & Evaluation.evaluated_on.between(first, last))
        .group_by(ExpertGroup.id, ExpertGroup.name, ExpertGroup.sort_order)
        .order_by(ExpertGroup.sort_order)
    ).all()
    out = []
    for name, n, total in rows:
        avg = (Decimal(total) / Decimal(n)).quantize(Decimal("0.1"), ROUND_HALF_UP) if n else None
        out.append((name, avg, n))
    return out


def score_distribution(year: int) -> list[tuple[str, int]]:
    """(band label such as "80-89", number of evaluations) for the bands of ``SCORE_BANDS``."""
    first, last = _year(year)
    band = case(*[(Evaluation.total.between(lo, hi), f"{lo}-{hi}") for lo, hi in SCORE_BANDS], else_=None)
    counts = dict(db.session.execute(
        select(band, func.count()).where(Evaluation.evaluated_on.between(first, last)).group_by(band)
    ).all())
    return [(f"{lo}-{hi}", counts.get(f"{lo}-{hi}", 0)) for lo, hi in SCORE_BANDS]


def dashboard_charts(year: int | None = None, unit_id: int | None = None) -> dict:
    """Everything the dashboard's score charts show for ``year`` (default: this year in China).

    ``unit_id`` limits the coverage rows to one unit (a 科室/大队/镇 user sees its own
    row; 基础科 and leaders see every unit). Units without an enforcement plan are only
    counted, not charted.
    """
    year = year or clock.today().year
    groups = average_score_per_group(year)
    bands = score_distribution(year)
    rows = coverage(year, [unit_id] if unit_id is not None else None)
    planned = [r for r in rows if r.planned]
    return {
        "year": year,
        "groups": groups,
        "bands": bands,
        "band_max": max([n for _, n in bands] + [1]),
        "evaluations": sum(n for _, n in bands),
        "coverage": planned,
        "coverage_max": max([float(r.percent or 0) for r in planned] + [100.0]),
        "without_plan": sum(1 for r in rows if not r.planned),
        "below": sum(1 for r in planned if r.below),
    }
