"""Evaluations as the code before the form engine stored them (eval_form, eval_item, eval_score,
evaluation.form_id and .suggestions), for the test of migration 0016.

``build()`` runs on a database at revision 0003: the tables the migration does not touch are
filled through the models, the old evaluation tables with plain SQL. ``figures()`` reads what
every rule that reads evaluations decides from them — coverage, the submissions board, the
score statistics, the annual assessment's figures, the low-score violation draft, the 附件5
PDF — in a form that can be compared before and after the migration.
"""
from __future__ import annotations

import datetime as dt
import subprocess
import tempfile

import sqlalchemy as sa

from app.extensions import db
from models import Assignment, EnforcementPlan, UsageRequest
from tests import factories

YEAR = 2026
TODAY = dt.date(2026, 7, 10)

REQUIRED = [("态度诚恳，沟通顺畅", 5), ("发现及分析问题、隐患的能力", 10), ("专家意见的合理性、具体性、可操作性", 10),
            ("引用法律法规、国标、行标等依据的准确性和先进性", 10),
            ("严格执行保密制度，保守国家秘密以及被服务单位的商业和技术秘密", 5),
            ("不假借应急管理部门名义开展业务", 5), ("遵纪守法，廉洁服务，自觉抵制歪风邪气，不“吃拿卡要”", 5)]
A = [("迟到、早退情况", 5), ("工作时佩戴专家工作证，做到持证上岗", 5), ("深入现场、积极承担工作任务", 10),
     ("耐心周到回答服务对象咨询问题", 5), ("虚心接收服务对象提出的意见建议，避免发生争论", 5),
     ("遵守专家回避制度，对与自己有利害关系的技术服务活动主动报告并回避", 5),
     ("公平公正、客观科学地进行论证、评审、咨询，并对其负责", 10), ("不要求服务单位安排车辆接送", 5)]
B = [("及时处理企业反馈问题，不推诿、拖延，责任心强", 5), ("发现的事故隐患、不安全因素及时复查闭环", 5),
     ("对重点监管的危险化工工艺、高危储存设施进行辨识分析评价", 10),
     ("危险有害因素辨识分析有针对性，准确界定项目的危险有害因素及其风险程度", 10),
     ("制作的应急预案、安全台账等有针对性，不照搬照抄", 5), ("不教唆、配合企业实施安全生产违法行为", 5),
     ("不与其他专家、中介机构等串通作假", 5), ("积极承担社会责任，服务企业满意度高", 5)]
TITLE = "武进区安全生产专家服务情况评价表"

meta = sa.MetaData()
eval_form = sa.Table("eval_form", meta, sa.Column("id", sa.Integer), sa.Column("version", sa.Integer),
                     sa.Column("title", sa.String), sa.Column("is_current", sa.Boolean), sa.Column("note", sa.Text),
                     sa.Column("created_at", sa.DateTime(timezone=True)),
                     sa.Column("updated_at", sa.DateTime(timezone=True)))
eval_item = sa.Table("eval_item", meta, sa.Column("id", sa.Integer), sa.Column("form_id", sa.Integer),
                     sa.Column("section", sa.String), sa.Column("position", sa.Integer), sa.Column("text", sa.Text),
                     sa.Column("max_score", sa.Integer))
eval_score = sa.Table("eval_score", meta, sa.Column("id", sa.Integer), sa.Column("evaluation_id", sa.Integer),
                      sa.Column("item_id", sa.Integer), sa.Column("score", sa.Integer), sa.Column("problem", sa.Text))
evaluation = sa.Table("evaluation", meta, *[sa.Column(n, sa.Integer) for n in (
    "id", "form_id", "expert_id", "enterprise_id", "assignment_id", "evaluator_id", "unit_id", "total")],
    sa.Column("client_uuid", sa.String), sa.Column("variant", sa.String), sa.Column("enterprise_name", sa.String),
    sa.Column("matter", sa.String), sa.Column("evaluator_name", sa.String), sa.Column("evaluated_on", sa.Date),
    sa.Column("submitted_at", sa.DateTime(timezone=True)), sa.Column("is_paper", sa.Boolean),
    sa.Column("is_service_quality", sa.Boolean), sa.Column("suggestions", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True)), sa.Column("updated_at", sa.DateTime(timezone=True)))

# (unit, expert, variant, day, submitted, paper, points taken off (global item position → points),
#  problems (position → text), suggestions, form version)
ROWS = [
    ("牛塘镇", 0, "A", dt.date(2026, 2, 10), dt.date(2026, 2, 12), False, {}, {}, "建议加强学习。", 1),
    ("牛塘镇", 1, "B", dt.date(2026, 3, 20), dt.date(2026, 3, 30), False, {17: 3, 19: 2}, {17: "复查闭环不及时"},
     None, 1),
    ("牛塘镇", 2, "B", dt.date(2026, 5, 6), dt.date(2026, 5, 8), True, {2: 4}, {}, None, 2),
    ("执法大队一中队", 0, "A", dt.date(2026, 1, 15), dt.date(2026, 1, 31), False, {10: 8, 1: 1},
     {10: "现场检查不深入"}, None, 1),
    ("执法大队一中队", 1, "A", dt.date(2026, 4, 3), dt.date(2026, 5, 6), False, {}, {}, "希望继续保持。", 2),
    ("执法大队一中队", 2, "B", dt.date(2026, 6, 9), dt.date(2026, 6, 10), False, {16: 5, 22: 1}, {16: "推诿"}, None, 2),
    ("湖塘镇", 0, "B", dt.date(2026, 6, 1), dt.date(2026, 6, 2), False, {}, {}, None, 2),
]


def build() -> dict:
    """Units, experts, plans, jobs and seven evaluations on two form versions; returns names → ids.
    Nothing is audited: the audit log's columns may be newer than the schema being filled."""
    from app.services import audit

    with audit.suspended(db.session):
        return _build()


def _build() -> dict:
    towns = {name: factories.org_unit(name=name, kind="town") for name in ("牛塘镇", "湖塘镇")}
    brigade = factories.org_unit(name="执法大队一中队", kind="brigade")
    units = {**towns, "执法大队一中队": brigade}
    experts = [factories.appointed_expert(name=n, groups=g, start=dt.date(2025, 1, 1))
               for n, g in (("王建国", ("化工",)), ("李志强", ("化工", "机械")), ("赵卫东", ("电气",)))]
    enterprise = factories.enterprise(name="常州华润化工有限公司")
    for name, planned in (("牛塘镇", 10), ("执法大队一中队", 20)):
        db.session.add(EnforcementPlan(unit=units[name], year=YEAR, planned_checks=planned))
    jobs = []
    for unit, day in ((brigade, dt.date(2026, 1, 15)), (brigade, dt.date(2026, 3, 3)),
                      (towns["牛塘镇"], dt.date(2026, 2, 10))):
        req = UsageRequest(request_no=f"WJSQ-2026-{len(jobs) + 1:04d}", unit=unit, activity_type="inspection",
                           subject="危险化学品企业专项执法检查", start_date=day, end_date=day, headcount=1,
                           state="completed")
        req.enterprises = [enterprise]
        db.session.add(req)
        job = Assignment(request=req, expert=experts[0], response="accepted", attended=True,
                         completed_at=dt.datetime.combine(day, dt.time(12), dt.UTC))
        db.session.add(job)
        jobs.append(job)
    db.session.flush()
    conn = db.session.connection()
    now = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    items = {}
    for version in (1, 2):
        conn.execute(eval_form.insert().values(id=version, version=version, title=TITLE, is_current=version == 2,
                                               note="附件5原表" if version == 1 else "调整第1项文字",
                                               created_at=now, updated_at=now))
        position = 0
        for section, rows in (("required", REQUIRED), ("A", A), ("B", B)):
            for text, maximum in rows:
                position += 1
                if version == 2 and position == 1:
                    text = "态度诚恳，沟通顺畅，按时到场"
                item_id = version * 100 + position
                items[(version, position)] = (item_id, section, maximum)
                conn.execute(eval_item.insert().values(id=item_id, form_id=version, section=section,
                                                       position=position, text=text, max_score=maximum))
    for n, (unit, ex, variant, day, sent, paper, off, problems, suggestions, version) in enumerate(ROWS, start=1):
        positions = list(range(1, 8)) + (list(range(8, 16)) if variant == "A" else list(range(16, 24)))
        scores = {p: items[(version, p)][2] - off.get(p, 0) for p in positions}
        conn.execute(evaluation.insert().values(
            id=n, form_id=version, expert_id=experts[ex].id, enterprise_id=enterprise.id,
            assignment_id=jobs[0].id if n == 4 else (jobs[2].id if n == 1 else None), evaluator_id=None,
            unit_id=units[unit].id, total=sum(scores.values()), client_uuid=f"legacy-{n:04d}", variant=variant,
            enterprise_name=enterprise.name, matter="执法检查：危险化学品企业专项执法检查", evaluator_name="钱立军",
            evaluated_on=day, submitted_at=dt.datetime.combine(sent, dt.time(8), dt.UTC), is_paper=paper,
            is_service_quality=variant == "B", suggestions=suggestions, created_at=now, updated_at=now))
        for p, score in scores.items():
            conn.execute(eval_score.insert().values(evaluation_id=n, item_id=items[(version, p)][0], score=score,
                                                    problem=problems.get(p)))
    db.session.commit()
    return {"experts": [e.id for e in experts]}


def _pdf_lines(pdf: bytes) -> list[str]:
    """The score table of a 附件5 PDF as its lines "序号 … 分数" (pdftotext -layout)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", f.name, "-"], check=True,
                              capture_output=True).stdout.decode("utf-8")
    return [" ".join(line.split()) for line in text.splitlines() if "分）" in line or "总分" in line]


def figures() -> dict:
    """What the rules that read evaluations decide from the database, as plain values."""
    from app.services.discipline import assessment, ladder
    from app.services.scoring import coverage, score_stats, submissions
    from app.services.scoring.evaluations import render_evaluation_pdf
    from models import Evaluation, Expert

    experts = sorted(db.session.scalars(sa.select(Expert.id)))
    out = {
        "coverage": [(r.unit.name, r.planned, r.evaluations, r.all_evaluations, str(r.percent), r.below)
                     for r in coverage.coverage(YEAR)],
        "board": [(row.unit.name, [(c.period.label, c.used, c.evaluated_uses, c.on_time, c.late, c.paper, c.status)
                                   for c in row.cells]) for row in submissions.submissions_board(YEAR, today=TODAY)],
        "groups": [(name, str(avg), n) for name, avg, n in score_stats.average_score_per_group(YEAR)],
        "bands": score_stats.score_distribution(YEAR),
        "assessment": {str(k): (v.evaluation_count, str(v.average_score))
                       for k, v in sorted(assessment.figures_for(YEAR, experts).items())},
    }
    low = {}
    for ev in db.session.scalars(sa.select(Evaluation).order_by(Evaluation.id)):
        low[ev.client_uuid] = [(s.item.text, s.score, s.item.max_score, s.problem)
                               for s in ladder.low_items(ev, ladder.low_item_ratio())]
    out["low_items"] = low
    out["pdf"] = {ev.client_uuid: _pdf_lines(render_evaluation_pdf(ev))
                  for ev in db.session.scalars(sa.select(Evaluation).where(Evaluation.id.in_([2, 4, 5])))}
    return out
