"""Reference data every installation needs: the 12 groups (第三条), the software's own forms
(附件5 评价表 as version 1, the 告知书回执), the 附件4 fee standard, the official holiday calendar and default settings.

``ensure_reference_data`` is idempotent: the migrations create the groups, and this
fills in whatever else is missing (it runs from ``seed-demo`` and the test fixtures).
"""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.services import audit
from app.services.fees.standard import attachment4_rows
from app.services.forms.builtin import ensure_builtin_forms
from app.services.workcalendar import seed_rows, supported_years
from models import CalendarYear, ExpertGroup, FeeStandard, Holiday, Setting
from models.choices import EXPERT_GROUPS

# The regulation's fee standard has no date of its own; the system treats it as in force from here.
FEE_STANDARD_START = dt.date(2020, 1, 1)

DEFAULT_SETTINGS = {
    "night_start": ("22:00", "夜间起始时间（附件4：夜间费用标准）"),
    "night_end": ("06:00", "夜间结束时间"),
    "emergency_paperwork_days": ("3", "紧急使用后补办手续期限（工作日）"),
    "grade_excellent_min": ("90", "年度考核“优秀”最低平均分"),
    "grade_qualified_min": ("75", "年度考核“合格”最低平均分"),
    "grade_basic_min": ("60", "年度考核“基本合格”最低平均分"),
    "low_item_ratio": ("0.4", "单项得分低于满分该比例时生成待核实违规记录"),
    "grade_min_evaluations": ("1", "年度考核评定等次所需最少评价表份数（不足时不定等次）"),
    "grade_follow_up_min": ("3", "回访测评平均满意度（满分5）低于此值时年度考核降一等"),
    "grade_excellent_follow_up_min": ("4", "年度考核“优秀”所需回访测评平均满意度（满分5）"),
    "grade_counts_enterprise_followups": ("否", "企业回访是否计入年度考核的回访测评（填“是”或“否”）"),
    "term_years": ("3", "每届任期（年）"),
    "max_age": ("65", "聘任年龄上限（原则上）"),
}


def ensure_groups() -> None:
    """The 12 groups of 第三条, in the regulation's order."""
    have = set(db.session.scalars(select(ExpertGroup.code)))
    for i, (code, name) in enumerate(EXPERT_GROUPS, start=1):
        if code not in have:
            db.session.add(ExpertGroup(code=code, name=name, sort_order=i))


def ensure_fee_standards() -> None:
    """附件4's three priced rows, if no standard is kept yet."""
    if db.session.scalar(select(FeeStandard.id).limit(1)):
        return
    labels = {"inspection": "一天", "accident_investigation": "一次", "emergency": "一起"}
    for row in attachment4_rows(FEE_STANDARD_START):
        db.session.add(FeeStandard(
            activity=row.activity, unit_label=labels[row.activity], amount=row.amount,
            night_holiday_amount=row.night_holiday_amount, effective_from=row.effective_from,
            note="夜间、节假日1500" if row.night_holiday_amount else None,
        ))


def ensure_holidays() -> None:
    """Seed the holiday table from the official calendar for every year it covers."""
    have_years = set(db.session.scalars(select(CalendarYear.year)))
    years = sorted(y for y in supported_years() if y not in have_years and y >= 2019)
    if not years:
        return
    rows = seed_rows(years)
    have_days = set(db.session.scalars(select(Holiday.day).where(Holiday.day.in_(list(rows)))))
    db.session.add_all(
        Holiday(day=day, is_workday=is_workday, name=name)
        for day, (is_workday, name) in rows.items() if day not in have_days
    )
    for y in years:
        db.session.add(CalendarYear(year=y))


def ensure_settings() -> None:
    """Default settings, without overwriting values already changed."""
    have = set(db.session.scalars(select(Setting.key)))
    for key, (value, label) in DEFAULT_SETTINGS.items():
        if key not in have:
            db.session.add(Setting(key=key, value=value, label=label))


def ensure_reference_data() -> None:
    """Everything above (not audited row by row); flushes, the caller commits."""
    with audit.suspended(db.session):
        ensure_groups()
        ensure_builtin_forms()
        ensure_fee_standards()
        ensure_holidays()
        ensure_settings()
        db.session.flush()
