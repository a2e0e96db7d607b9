"""Coverage of service-quality evaluations against the annual enforcement plan
(第二十二条 second paragraph, 附件5 填表说明4, SPEC §3.13).

"区、镇两级在日常监管检查、执法检查中，对专家库中专家开展服务质量进行考核 … 考核比例
不低于年度执法计划总数的20%": per unit and year, the service-quality evaluations it
recorded must be at least one fifth of the enforcement checks it planned.

What counts (decided in :mod:`app.services.scoring.evaluations`): evaluations on variant B,
对企业开展业务服务质量考评 (``Evaluation.is_service_quality``), recorded by the unit
(``Evaluation.unit_id``) with a 考评时间 in the year — online or paper alike. A unit
without an enforcement plan for the year has no ratio; it is listed as such so the
office sees the plan is missing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import case, func, select

from app.extensions import db
from models import EnforcementPlan, Evaluation, OrgUnit
from models.choices import ORG_KINDS

MIN_SHARE = Fraction(1, 5)  # 不低于年度执法计划总数的20%


@dataclass(frozen=True)
class UnitCoverage:
    """One unit's year: planned checks, service-quality evaluations, and the 20% test."""

    unit: OrgUnit
    planned: int | None
    evaluations: int
    all_evaluations: int

    @property
    def required(self) -> int | None:
        """The fewest evaluations that meet 20% of the plan (rounded up)."""
        if self.planned is None:
            return None
        share = self.planned * MIN_SHARE
        return int(share) if share.denominator == 1 else int(share) + 1

    @property
    def percent(self) -> Decimal | None:
        """Evaluations as a percentage of the plan, one decimal (None without a plan)."""
        if not self.planned:
            return None
        return (Decimal(self.evaluations) * 100 / Decimal(self.planned)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def below(self) -> bool:
        """True when the unit has a plan and fewer evaluations than 20% of it."""
        return bool(self.planned) and Fraction(self.evaluations, self.planned) < MIN_SHARE

    @property
    def shortfall(self) -> int:
        return max(0, (self.required or 0) - self.evaluations)

    @property
    def status_label(self) -> str:
        if self.planned is None:
            return "未录入执法计划"
        if self.planned == 0:
            return "计划为0"
        return "未达20%" if self.below else "已达标"


def coverage(year: int, unit_ids: list[int] | None = None) -> list[UnitCoverage]:
    """Coverage of every active unit (or of ``unit_ids``) in ``year``: units with a plan first,
    then units without one; each in the order of the unit kinds, then as created."""
    query = select(OrgUnit).where(OrgUnit.active.is_(True))
    if unit_ids is not None:
        query = query.where(OrgUnit.id.in_(unit_ids))
    units = list(db.session.scalars(query))
    ids = [u.id for u in units]
    plans = dict(db.session.execute(
        select(EnforcementPlan.unit_id, EnforcementPlan.planned_checks)
        .where(EnforcementPlan.year == year, EnforcementPlan.unit_id.in_(ids))
    ).all())
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    counts = db.session.execute(
        select(Evaluation.unit_id, func.count(), func.sum(case((Evaluation.is_service_quality.is_(True), 1), else_=0)))
        .where(Evaluation.unit_id.in_(ids), Evaluation.evaluated_on >= first, Evaluation.evaluated_on <= last)
        .group_by(Evaluation.unit_id)
    ).all()
    by_unit = {unit_id: (total, int(quality or 0)) for unit_id, total, quality in counts}
    rows = [
        UnitCoverage(unit=u, planned=plans.get(u.id), evaluations=by_unit.get(u.id, (0, 0))[1],
                     all_evaluations=by_unit.get(u.id, (0, 0))[0])
        for u in units
    ]
    kinds = list(ORG_KINDS)
    rows.sort(key=lambda r: (r.planned is None, kinds.index(r.unit.kind) if r.unit.kind in kinds else len(kinds),
                             r.unit.id))
    return rows


def units_below(year: int) -> list[UnitCoverage]:
    """The units under 20% of their plan in ``year`` (for the dashboard)."""
    return [row for row in coverage(year) if row.below]
