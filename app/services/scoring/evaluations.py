"""Scoring experts on the 附件5 评价表 (第二十二条, SPEC §3.11).

The form is data: an :class:`~models.EvalForm` version holds its items, each in
section ``required`` (必填项) or one of the two variants ``A`` / ``B`` (根据考评对象
二选一). The rule of SPEC §3.11 lives here, once:

- a form definition is valid when the required part adds up to 50 points, each
  variant to 50 points (so every filled form totals 100), and every maximum is a
  positive whole number (:func:`validate_form_definition`);
- an evaluation scores every required item and every item of exactly one
  variant, each with a whole number from 0 to the item's maximum; the total is
  computed here, whatever a client sends (:func:`score_evaluation`);
- saving is idempotent by the client's ``client_uuid``: a double tap, a re-sent
  offline queue or a retry after a lost answer gives the one record already
  saved, even when two requests race (:func:`save_evaluation`).

Which evaluations count as *service-quality* evaluations for the 20% coverage
rule (第二十二条 second paragraph): those on variant B, 对企业开展业务服务质量考评.
The paragraph speaks of experts "受技术服务机构委托或个人对企业开展辅导、服务",
assessed on their 服务质量 during routine and enforcement checks, and the form's
own 填表说明 1 and 4 separate the two uses the same way (A: 配合区、镇开展检查等工作
情况; B: 日常开展的业务服务质量, "考评比例不低于年度执法计划的20%"). The flag is
stored on the evaluation when it is saved, so a later form revision never changes
past coverage figures.

Functions flush; the caller commits.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.clock import utcnow
from app.extensions import db
from app.services.discipline import ladder as discipline
from app.services.errors import DomainError
from models import (
    Assignment,
    Enterprise,
    EvalForm,
    EvalItem,
    EvalScore,
    Evaluation,
    Expert,
    OrgUnit,
    UsageRequest,
    User,
)
from models.choices import EVAL_VARIANTS
from printables.eval_form_v1 import EVALUATION_FORM_V1

REQUIRED = "required"
VARIANTS = ("A", "B")
SECTIONS = (REQUIRED,) + VARIANTS
SECTION_LABELS = {REQUIRED: "必填项", **EVAL_VARIANTS}
REQUIRED_POINTS = 50
VARIANT_POINTS = 50
TOTAL_POINTS = REQUIRED_POINTS + VARIANT_POINTS
SERVICE_QUALITY_VARIANT = "B"

# Lengths the columns and a printed cell can hold.
MAX_TEXT = {"enterprise_name": 200, "matter": 200, "evaluator_name": 50}
MAX_PROBLEM = 500
MAX_SUGGESTIONS = 2000
MAX_ITEM_TEXT = 200
UUID_RE = re.compile(r"^[0-9A-Za-z-]{8,64}$")
# Roles that score experts (第二十二条: 科室、执法大队、镇); 基础科 also enters paper forms.
SCORING_ROLES = ("office", "department", "town")


class ScoringError(DomainError):
    """A refused form or evaluation; ``problems`` lists every reason, in Chinese."""

    def __init__(self, problems: list[str], headline: str = "评价表未能保存："):
        self.problems = list(problems)
        super().__init__(headline + "；".join(self.problems) + "。")


# --- the form as data ------------------------------------------------------------------------


def _whole_number(raw: Any) -> int | None:
    """``raw`` as an int if it is a whole number written plainly (``7``, ``"7"``, ``" 7 "``,
    ``"-1"``); None for anything else (``"7.5"``, ``"七"``, ``True``, ``7.0``)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,6}\s*", raw):
        return int(raw)
    return None


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def validate_form_definition(sections: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, list[dict]]:
    """Check a form definition and return it cleaned: ``{"required": [{"text", "max"}...],
    "A": [...], "B": [...]}`` with stripped texts and int maxima.

    SPEC §3.11 / 附件5: the required part adds up to 50 points and each of the two
    variants to 50, so whichever variant is chosen the form totals 100; every item
    has a wording and a maximum that is a positive whole number. Every problem is
    reported at once (:class:`ScoringError`).
    """
    problems: list[str] = []
    cleaned: dict[str, list[dict]] = {}
    unknown = [key for key in sections if key not in SECTIONS]
    if unknown:
        problems.append("未知的项目类别：" + "、".join(str(k) for k in unknown))
    for key in SECTIONS:
        label = SECTION_LABELS[key]
        rows = list(sections.get(key) or [])
        items = []
        for n, row in enumerate(rows, start=1):
            text = (row.get("text") or "").strip()
            raw_max = row.get("max")
            maximum = _whole_number(raw_max)
            if not text:
                problems.append(f"{label}第{n}项未填写考评内容")
            elif len(text) > MAX_ITEM_TEXT:
                problems.append(f"{label}第{n}项考评内容超过{MAX_ITEM_TEXT}字")
            if maximum is None or maximum <= 0:
                shown = "（空）" if _blank(raw_max) else str(raw_max).strip()
                problems.append(f"{label}第{n}项满分须为正整数，当前为{shown}")
            items.append({"text": text, "max": maximum if maximum and maximum > 0 else 0})
        if not items:
            problems.append(f"{label}至少需要一个考评项目")
        points = REQUIRED_POINTS if key == REQUIRED else VARIANT_POINTS
        total = sum(i["max"] for i in items)
        if items and total != points:
            problems.append(f"{label}各项满分合计为{total}分，应为{points}分")
        cleaned[key] = items
    if problems:
        raise ScoringError(problems, headline="评价表版本未保存：")
    return cleaned


def current_form() -> EvalForm:
    """The form version new evaluations use (the phone page renders it)."""
    form = db.session.scalar(select(EvalForm).where(EvalForm.is_current.is_(True)).order_by(EvalForm.version.desc()))
    if form is None:
        form = db.session.scalar(select(EvalForm).order_by(EvalForm.version.desc()))
    if form is None:
        raise DomainError("系统中还没有评价表，请联系系统管理员初始化基础数据。")
    return form


def form_sections(form: EvalForm) -> dict[str, list[EvalItem]]:
    """The form's items by section, in printed order."""
    out: dict[str, list[EvalItem]] = {key: [] for key in SECTIONS}
    for item in sorted(form.items, key=lambda i: i.position):
        out.setdefault(item.section, []).append(item)
    return out


def item_numbers(form: EvalForm) -> dict[int, int]:
    """The printed 序号 of each item: required items 1..n, each variant numbered on from n+1."""
    sections = form_sections(form)
    numbers = {item.id: n for n, item in enumerate(sections[REQUIRED], start=1)}
    first = len(sections[REQUIRED]) + 1
    for key in VARIANTS:
        numbers.update({item.id: n for n, item in enumerate(sections[key], start=first)})
    return numbers


def create_form_version(sections: Mapping[str, Iterable[Mapping[str, Any]]], *, title: str | None = None,
                        note: str | None = None, by: User | None = None) -> EvalForm:
    """Save a revision as a new version and make it current (SPEC §2: the office revises the
    form without code). Refused unless :func:`validate_form_definition` passes; earlier
    versions stay as they are, and the evaluations made on them keep them."""
    cleaned = validate_form_definition(sections)
    title = (title or "").strip() or EVALUATION_FORM_V1["title"]
    if len(title) > 100:
        raise ScoringError(["表名不能超过100字"], headline="评价表版本未保存：")
    last = db.session.scalar(select(func.max(EvalForm.version))) or 0
    for old in db.session.scalars(select(EvalForm).where(EvalForm.is_current.is_(True))):
        old.is_current = False
    form = EvalForm(version=last + 1, title=title, is_current=True, note=(note or "").strip() or None,
                    created_by_id=by.id if by else None)
    position = 0
    for key in SECTIONS:
        for row in cleaned[key]:
            position += 1
            form.items.append(EvalItem(section=key, position=position, text=row["text"], max_score=row["max"]))
    db.session.add(form)
    db.session.flush()
    return form


def make_current(form: EvalForm) -> None:
    """Use ``form`` for new evaluations again (e.g. to go back to an earlier version)."""
    for other in db.session.scalars(select(EvalForm).where(EvalForm.is_current.is_(True))):
        other.is_current = False
    form.is_current = True
    db.session.flush()


def definition_of(form: EvalForm) -> dict[str, list[dict]]:
    """A form's items as an editable definition (the starting point of a revision)."""
    return {key: [{"text": i.text, "max": i.max_score} for i in items] for key, items in form_sections(form).items()}


# --- scoring one filled form ----------------------------------------------------------------


@dataclass(frozen=True)
class ScoredForm:
    """Validated scores (item id → points) of the required items and the chosen variant."""

    variant: str
    scores: dict[int, int]
    total: int


def _short(text: str, n: int = 14) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _item_key(key: Any) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.strip().isdigit():
        return int(key)
    return None


def score_evaluation(form: EvalForm, variant: str | None, scores: Mapping[Any, Any]) -> ScoredForm:
    """Validate the scores of one filled 评价表 and compute its total (SPEC §3.11).

    ``scores`` maps item id (int or its string) → the raw value as typed. Every
    required item and every item of the chosen variant needs a whole number from 0
    to its maximum; no item of the other variant may be filled. The total is the
    sum of the validated scores — a total sent by a client is never used.
    Raises :class:`ScoringError` listing every problem.
    """
    problems: list[str] = []
    sections = form_sections(form)
    numbers = item_numbers(form)
    items_by_id = {item.id: item for item in form.items}
    if variant not in VARIANTS:
        problems.append("请选择考评对象（" + " / ".join(f"{k}：{v}" for k, v in EVAL_VARIANTS.items()) + "，二选一）")

    given: dict[int, Any] = {}
    foreign = []
    for key, raw in scores.items():
        item_id = _item_key(key)
        if item_id is None or item_id not in items_by_id:
            foreign.append(str(key))
            continue
        given[item_id] = raw
    if foreign:
        problems.append(f"提交的评分项不属于第{form.version}版评价表（{'、'.join(foreign[:5])}）")

    if variant in VARIANTS:
        other = "B" if variant == "A" else "A"
        crossed = [numbers[i.id] for i in sections[other] if not _blank(given.get(i.id))]
        if crossed:
            problems.append(
                f"考评对象二选一：已选“{EVAL_VARIANTS[variant]}”，不能同时填写“{EVAL_VARIANTS[other]}”的评分"
                f"（第{'、'.join(str(n) for n in crossed)}项）"
            )
        scored_items = sections[REQUIRED] + sections[variant]
    else:
        scored_items = sections[REQUIRED]

    valid: dict[int, int] = {}
    missing = []
    for item in scored_items:
        raw = given.get(item.id)
        no = numbers[item.id]
        if _blank(raw):
            missing.append(no)
            continue
        value = _whole_number(raw)
        if value is None:
            problems.append(f"第{no}项“{_short(item.text)}”的评分须为整数，“{str(raw).strip()[:10]}”不是整数")
        elif value < 0:
            problems.append(f"第{no}项“{_short(item.text)}”的评分不能为负数")
        elif value > item.max_score:
            problems.append(f"第{no}项“{_short(item.text)}”的评分{value}分超过该项满分{item.max_score}分")
        else:
            valid[item.id] = value
    if missing:
        problems.insert(0 if variant in VARIANTS else 1,
                        f"第{'、'.join(str(n) for n in missing)}项未评分（每项须填写0至满分之间的整数）")
    if problems:
        raise ScoringError(problems)
    return ScoredForm(variant=variant, scores=valid, total=sum(valid.values()))


# --- saving -----------------------------------------------------------------------------------


@dataclass
class EvaluationEntry:
    """One filled form as it arrives from the phone page (raw strings are fine).

    ``scores`` / ``problems`` map item id → typed value / 发现问题 note. ``unit_id`` and
    ``received_on`` matter only for a paper form entered by the expert office.
    """

    form_id: Any = None
    variant: str | None = None
    expert_id: Any = None
    assignment_id: Any = None
    enterprise_name: str = ""
    matter: str = ""
    evaluator_name: str = ""
    evaluated_on: Any = None
    scores: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    suggestions: str = ""
    is_paper: bool = False
    unit_id: Any = None
    received_on: Any = None


def _as_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


def find_by_uuid(client_uuid: str | None) -> Evaluation | None:
    """The evaluation already saved under ``client_uuid``, if any."""
    if not client_uuid:
        return None
    return db.session.scalar(select(Evaluation).where(Evaluation.client_uuid == client_uuid))


def may_score(user: User) -> bool:
    """Whether ``user`` scores experts (科室、大队、镇街 and 基础科 accounts with a unit)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in SCORING_ROLES and user.org_unit_id is not None


def may_enter_paper(user: User) -> bool:
    """Paper forms entered afterwards: by 基础科 for any unit, by a unit for itself."""
    return may_score(user)


def scorable_assignments_query(unit_id: int, today: dt.date | None = None):
    """Assignments of ``unit_id``'s requests, begun by ``today``, whose expert accepted and was
    not absent, and that have no evaluation yet."""
    today = today or clock.today()
    evaluated = select(Evaluation.assignment_id).where(Evaluation.assignment_id.is_not(None))
    return (
        select(Assignment)
        .join(UsageRequest, Assignment.request_id == UsageRequest.id)
        .where(
            UsageRequest.unit_id == unit_id,
            UsageRequest.state != "cancelled",
            UsageRequest.start_date <= today,
            Assignment.response == "accepted",
            Assignment.attended.is_not(False),
            Assignment.id.not_in(evaluated),
        )
        .order_by(UsageRequest.start_date.desc(), Assignment.id.desc())
    )


def _resolve_unit(entry: EvaluationEntry, by: User, problems: list[str]) -> OrgUnit | None:
    """The submitting unit (第二十二条: the evaluations belong to it). 基础科 entering a paper
    form picks the unit that filled it; everyone else submits for his own unit."""
    if by.role == "office" and entry.is_paper and not _blank(entry.unit_id):
        unit = db.session.get(OrgUnit, _whole_number(entry.unit_id) or 0)
        if unit is None:
            problems.append("请选择填表单位")
        return unit
    return by.org_unit


def save_evaluation(entry: EvaluationEntry, *, by: User, client_uuid: str | None = None,
                    today: dt.date | None = None) -> tuple[Evaluation, bool]:
    """Validate and save one filled 评价表 for ``by``'s unit; returns ``(evaluation, created)``.

    Idempotent: a ``client_uuid`` already saved returns that record and saves nothing
    (``created`` False) — also when two requests with the same uuid race, since the
    UNIQUE column refuses the second insert and the first one is returned. Everything
    else is validated at once and refused with a :class:`ScoringError` listing every
    problem; nothing is written then.

    The form version is the one the page was rendered with (``entry.form_id``): a page
    kept offline since before a revision still sends its older version, and the
    evaluation keeps and prints that version. The submitting unit is ``by``'s own, except
    for a paper form that 基础科 enters for another unit (:func:`_resolve_unit`).
    """
    client_uuid = (client_uuid or "").strip() or None
    if client_uuid and not UUID_RE.match(client_uuid):
        raise ScoringError(["提交编号格式不正确，请刷新页面后重新提交"])
    if not may_score(by):
        raise ScoringError(["当前账号不能填写专家评价表（需局科室、执法大队、镇街或基础科账号）"])
    existing = find_by_uuid(client_uuid)
    if existing is not None:
        return _same_sender(existing, by), False

    today = today or clock.today()
    problems: list[str] = []
    form = db.session.get(EvalForm, _whole_number(entry.form_id) or 0) if not _blank(entry.form_id) else None
    if form is None:
        form = current_form()

    unit = _resolve_unit(entry, by, problems)

    assignment = None
    if not _blank(entry.assignment_id):
        assignment = db.session.get(Assignment, _whole_number(entry.assignment_id) or 0)
        if assignment is None or (unit is not None and assignment.request.unit_id != unit.id):
            problems.append("所选任务不存在或不属于本单位")
            assignment = None
        elif assignment.response != "accepted" or assignment.attended is False:
            problems.append("该专家未参加此次任务，不能评价")
        elif db.session.scalar(select(Evaluation.id).where(Evaluation.assignment_id == assignment.id)):
            problems.append("该任务的专家已评价过，不能重复评价")

    if assignment is not None:
        expert = assignment.expert
    else:
        expert = db.session.get(Expert, _whole_number(entry.expert_id) or 0) if not _blank(entry.expert_id) else None
        if expert is None:
            problems.append("请选择被考评的专家")

    texts = {}
    for name, label in (("enterprise_name", "企业名称"), ("matter", "考评事项"), ("evaluator_name", "考评人员")):
        value = (getattr(entry, name) or "").strip()
        if not value:
            problems.append(f"请填写{label}")
        elif len(value) > MAX_TEXT[name]:
            problems.append(f"{label}不能超过{MAX_TEXT[name]}字")
        texts[name] = value

    evaluated_on = _as_date(entry.evaluated_on)
    if evaluated_on is None:
        problems.append("请填写考评时间（检查当日日期）")
    elif evaluated_on > today:
        problems.append("考评时间不能晚于今天")
    elif evaluated_on.year < 2000:
        problems.append("考评时间不正确")

    submitted_at = utcnow()
    if entry.is_paper and by.role == "office" and not _blank(entry.received_on):
        received = _as_date(entry.received_on)
        if received is None:
            problems.append("纸质表报送日期格式不正确")
        elif received > today:
            problems.append("纸质表报送日期不能晚于今天")
        elif evaluated_on and received < evaluated_on:
            problems.append("纸质表报送日期不能早于考评时间")
        else:
            # A paper form counts as submitted on the day 基础科 received it (第二十二条 deadlines).
            submitted_at = clock.at_local(received)

    notes = {}
    for key, raw in (entry.problems or {}).items():
        item_id = _item_key(key)
        text = (raw or "").strip() if isinstance(raw, str) else ""
        if item_id is None or not text:
            continue
        if len(text) > MAX_PROBLEM:
            problems.append(f"每项“发现问题”不能超过{MAX_PROBLEM}字")
            break
        notes[item_id] = text
    suggestions = (entry.suggestions or "").strip()
    if len(suggestions) > MAX_SUGGESTIONS:
        problems.append(f"意见和建议不能超过{MAX_SUGGESTIONS}字")

    scored = None
    try:
        scored = score_evaluation(form, entry.variant, entry.scores or {})
    except ScoringError as err:
        problems.extend(err.problems)
    if scored is not None:
        kept = set(scored.scores)
        stray = [n for i, n in item_numbers(form).items() if i in notes and i not in kept]
        if stray:
            problems.append(f"第{'、'.join(str(n) for n in stray)}项不属于所选考评对象，不能填写发现问题")
    if problems:
        # A twin of this request (same uuid, e.g. the page and its service worker sending the
        # queued form at once) may have been saved since the lookup above, and be exactly what
        # now reads as "该任务的专家已评价过": answer with that record, as for any re-send.
        again = find_by_uuid(client_uuid)
        if again is not None:
            return _same_sender(again, by), False
        raise ScoringError(problems)

    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.name == texts["enterprise_name"]).limit(1))
    evaluation = Evaluation(
        client_uuid=client_uuid, form_id=form.id, variant=scored.variant, expert_id=expert.id,
        enterprise_id=enterprise.id if enterprise else None, enterprise_name=texts["enterprise_name"],
        assignment_id=assignment.id if assignment else None, matter=texts["matter"],
        evaluator_name=texts["evaluator_name"], evaluator_id=by.id, unit_id=unit.id, evaluated_on=evaluated_on,
        submitted_at=submitted_at, is_paper=bool(entry.is_paper),
        is_service_quality=scored.variant == SERVICE_QUALITY_VARIANT, total=scored.total,
        suggestions=suggestions or None,
    )
    evaluation.scores = [EvalScore(item_id=i, score=v, problem=notes.get(i)) for i, v in scored.scores.items()]
    try:
        with db.session.begin_nested():
            db.session.add(evaluation)
            db.session.flush()
    except IntegrityError:
        # A concurrent retry with the same uuid won the insert: return its record.
        again = find_by_uuid(client_uuid)
        if again is None:
            raise
        return _same_sender(again, by), False
    # 第二十一条: a very low item opens a draft violation for the office to investigate.
    discipline.open_draft_from_low_score(evaluation)
    return evaluation, True


def _same_sender(existing: Evaluation, by: User) -> Evaluation:
    """A replayed uuid is answered only to the unit (or office) that owns the record."""
    if by.role != "office" and existing.unit_id != by.org_unit_id:
        raise ScoringError(["提交编号与其他单位的评价表重复，请刷新页面后重新提交"])
    return existing


# --- printing (附件5, blank and filled) ---------------------------------------------------------


def print_form_data(form: EvalForm) -> dict:
    """``form`` in the shape ``printables/templates/evaluation_form.html`` reads
    (:data:`printables.eval_form_v1.EVALUATION_FORM_V1`); item keys are the item ids."""
    sections = form_sections(form)
    numbers = item_numbers(form)

    def section(key: str) -> dict:
        items = [{"key": str(i.id), "no": numbers[i.id], "text": i.text, "max": i.max_score} for i in sections[key]]
        return {"key": key, "label": SECTION_LABELS[key], "points": sum(i["max"] for i in items), "items": items}

    data = copy.deepcopy(EVALUATION_FORM_V1)
    count = len(sections[REQUIRED]) + len(sections["A"])
    instructions = list(data["instructions"])
    if count != 15:
        instructions[0] = instructions[0].replace("共计15项", f"共计{count}项")
    data.update(
        version=form.version, title=form.title, total_points=TOTAL_POINTS, required=section(REQUIRED),
        choice_points=VARIANT_POINTS, variants={k: section(k) for k in VARIANTS}, instructions=instructions,
    )
    return data


def blank_print_context(form: EvalForm) -> dict:
    """Context of a blank 附件5 of ``form``'s version (both variants, as on the original)."""
    return {"form": print_form_data(form), "variant": None}


def evaluation_print_context(evaluation: Evaluation) -> dict:
    """Context of a filled 附件5, printed on the evaluation's own form version."""
    return {
        "form": print_form_data(evaluation.form),
        "variant": evaluation.variant,
        "enterprise_name": evaluation.enterprise_name,
        "expert_name": evaluation.expert.name,
        "subject": evaluation.matter,
        "evaluator": evaluation.evaluator_name,
        "evaluated_on": evaluation.evaluated_on,
        "scores": {str(s.item_id): s.score for s in evaluation.scores},
        "problems": {str(s.item_id): s.problem for s in evaluation.scores if s.problem},
        "total": evaluation.total,
        "opinion": evaluation.suggestions,
    }


def render_evaluation_pdf(evaluation: Evaluation) -> bytes:
    """The filled 附件5 of ``evaluation`` as PDF bytes."""
    from printables import render_pdf

    return render_pdf("evaluation_form.html", evaluation_print_context(evaluation))


def render_blank_form_pdf(form: EvalForm) -> bytes:
    """A blank 附件5 of ``form``'s version as PDF bytes."""
    from printables import render_pdf

    return render_pdf("evaluation_form.html", blank_print_context(form))


def evaluation_filename(evaluation: Evaluation) -> str:
    """``附件5评价表-王建国-2026-03-05.pdf``."""
    return f"附件5评价表-{evaluation.expert.name}-{evaluation.evaluated_on.isoformat()}.pdf"
