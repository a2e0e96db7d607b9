"""Evaluation area of the admin (附件5, 第二十二条): form versions, evaluations, enforcement plans,
the submissions board and the coverage page.

- The versions of the form are kept and revised in the form builder (admin_views/forms): 附件5 is
  the form definition ``annex5``; past evaluations keep and print their version.
- 评价记录 (``evaluation``): list, details with every item, export, filled 附件5 PDF. A unit
  sees its own evaluations, an expert his own. Evaluations are entered on the phone page
  (``/m/score``), paper forms too (纸质表补录), so the rules are applied in one place.
- 年度执法计划 (``enforcement_plan``), 报送情况 (``submissions``), 考评覆盖率 (``coverage``).
  The last two are pages over the org units; they are model views so that rights, menu
  and export work as everywhere else.
"""
from __future__ import annotations

import io

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from admin_views.base import XLSX_MIMETYPE, ReadOnlyView, SecuredModelView, record_export
from admin_views.formatters import yes_no
from app import clock
from app.auth.rights import is_expert_self, works_for_a_unit
from app.extensions import db
from app.services import spreadsheets
from app.services.errors import DomainError
from app.services.scoring import coverage as coverage_service
from app.services.scoring import evaluations as scoring
from app.services.scoring import submissions
from models import EnforcementPlan, Evaluation
from models.choices import EVAL_VARIANTS, ORG_KINDS

CATEGORY = "专家考评"


def _year_arg() -> int:
    """The ``?year=`` of a page, defaulting to this year; refuses nonsense quietly."""
    try:
        year = int(request.args.get("year", ""))
    except ValueError:
        return clock.today().year
    return year if 2000 <= year <= 2100 else clock.today().year


def _pdf_response(pdf: bytes, filename: str):
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=filename)


def _local_time(view, context, model, name):
    """A stored (UTC) time as local time to the minute."""
    return clock.format_time(getattr(model, name))


# --- evaluations --------------------------------------------------------------------------------


def _scores_table(view, context, model, name):
    numbers = scoring.item_numbers(model.version)
    by_item = {s.item_id: s for s in model.scores}
    rows = []
    for key in ("required", model.variant):
        for item in scoring.form_sections(model.version).get(key, []):
            s = by_item.get(item.id)
            rows.append(
                f"<tr><td>{numbers[item.id]}</td><td>{escape(item.text)}</td>"
                f"<td class='text-right'>{s.score if s else ''} / {item.max_score}</td>"
                f"<td>{escape(s.problem or '') if s else ''}</td></tr>"
            )
    return Markup("<table class='table table-sm table-bordered mb-0'><thead><tr><th>序号</th><th>考评内容</th>"
                  "<th>评分</th><th>发现问题</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _signature(view, context, model, name):
    """考评人员（签字）: the drawn signature with who signed and when, or a dash."""
    for answer in model.submission.answers:
        if answer.field.kind == "signature" and answer.file_path:
            url = url_for("form_submission.file_view", id=answer.id)
            who = escape(f"{answer.signed_by or ''} {clock.format_time(answer.signed_at)}")
            return Markup(f"<img src='{escape(url)}' alt='考评人员签名' style='max-height:70px;background:#fff'>"
                          f"<br><small class='text-muted'>{who}</small>")
    return "—"


def _variant(view, context, model, name):
    return f"{model.variant}：{EVAL_VARIANTS.get(model.variant, '')}"


VARIANT_SHORT = {"A": "A类（配合工作）", "B": "B类（服务质量）"}


def _variant_short(view, context, model, name):
    return VARIANT_SHORT.get(model.variant, model.variant)




def _scores_export(view, context, model, name):
    numbers = scoring.item_numbers(model.version)
    ordered = sorted(model.scores, key=lambda s: numbers[s.item_id])
    return "；".join(f"第{numbers[s.item_id]}项{s.score}分" for s in ordered)


class EvaluationView(SecuredModelView):
    """Filled 评价表: a unit sees its own, an expert his own; scores are entered on the phone page."""

    list_template = "admin/scoring/evaluation_list.html"
    column_auto_select_related = False
    column_list = ("evaluated_on", "expert", "enterprise_name", "matter", "unit", "variant", "total", "is_paper",
                   "submitted_at")
    column_details_list = ("expert", "enterprise_name", "matter", "evaluator_name", "signature", "evaluated_on", "unit",
                           "version", "variant", "scores", "total", "suggestions", "is_paper", "is_service_quality",
                           "submitted_at", "assignment_id")
    column_export_list = ("evaluated_on", "expert", "enterprise_name", "matter", "evaluator_name", "unit", "version",
                          "variant", "scores", "total", "suggestions", "is_paper", "is_service_quality", "submitted_at")
    column_labels = {
        "evaluated_on": "考评时间", "expert": "专家", "enterprise_name": "企业名称", "matter": "考评事项",
        "unit": "填表单位", "variant": "考评对象", "total": "总分", "is_paper": "纸质表补录",
        "submitted_at": "报送时间", "evaluator_name": "考评人员", "version": "评价表版本", "scores": "各项评分",
        "signature": "考评人员（签字）",
        "suggestions": "意见和建议", "is_service_quality": "计入服务质量考评", "assignment_id": "任务编号",
        "expert.name": "专家姓名", "unit.name": "填表单位",
    }
    column_formatters = {"variant": _variant_short, "is_paper": yes_no, "is_service_quality": yes_no,
                         "submitted_at": _local_time}
    column_formatters_detail = {"variant": _variant, "is_paper": yes_no, "is_service_quality": yes_no,
                                "submitted_at": _local_time, "scores": _scores_table, "signature": _signature}
    column_formatters_export = {"variant": _variant, "is_paper": yes_no, "is_service_quality": yes_no,
                                "submitted_at": _local_time, "scores": _scores_export}
    column_filters = ("evaluated_on", "unit.name", "expert.name", "variant", "total", "is_paper",
                      "is_service_quality")
    column_searchable_list = ("enterprise_name", "matter", "evaluator_name", "expert.name")
    column_sortable_list = ("evaluated_on", "total", "submitted_at", "enterprise_name")
    column_default_sort = ("evaluated_on", True)
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-file-pdf-o", ".pdf_view", title="下载附件5评价表（PDF）")]
    details_template = "admin/scoring/evaluation_details.html"

    def get_query(self):
        return self.scope_query(
            super(SecuredModelView, self).get_query().options(
                selectinload(Evaluation.expert), selectinload(Evaluation.unit), selectinload(Evaluation.version),
            )
        )

    def scope_query(self, query):
        role = current_user.role
        if works_for_a_unit(role):
            return query.filter(Evaluation.unit_id == current_user.org_unit_id)
        if is_expert_self(role):
            return query.filter(Evaluation.expert_id == (current_user.expert_id or -1))
        return query

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """Evaluations are entered on the scoring page, where the rules are applied."""
        return redirect(url_for("mobile.score_new", paper=1))

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        flash("评价表提交后不能修改。", "info")
        return redirect(self.get_url(".index_view"))

    @expose("/pdf/")
    def pdf_view(self):
        """The filled 附件5 of one evaluation (``?id=``), on its own form version."""
        if not self._can("details"):
            abort(403)
        if not request.args.get("id"):
            return redirect(self.get_url(".index_view"))
        evaluation = self.get_one(request.args["id"])
        if evaluation is None:
            abort(404)
        return _pdf_response(scoring.render_evaluation_pdf(evaluation), scoring.evaluation_filename(evaluation))

    @expose("/blank/")
    def blank_view(self):
        """A blank 附件5 of the current version, for units that fill the form on paper."""
        form = scoring.current_form()
        return _pdf_response(scoring.render_blank_form_pdf(form), f"附件5评价表-空白-第{form.number}版.pdf")

    def render(self, template, **kwargs):
        kwargs.setdefault("may_score", scoring.may_score(current_user))
        return super().render(template, **kwargs)


# --- enforcement plans ---------------------------------------------------------------------------


def _coverage_of(model: EnforcementPlan):
    cache = g.setdefault("_coverage_by_year", {})
    if model.year not in cache:
        cache[model.year] = {row.unit.id: row for row in coverage_service.coverage(model.year)}
    return cache[model.year].get(model.unit_id)


def _plan_evaluations(view, context, model, name):
    row = _coverage_of(model)
    return row.evaluations if row else 0


def _plan_percent(view, context, model, name):
    row = _coverage_of(model)
    if row is None or row.percent is None:
        return ""
    text = f"{row.percent}%"
    return Markup(f"<span class='text-danger font-weight-bold'>{text}</span>") if row.below else text


class EnforcementPlanView(SecuredModelView):
    """年度执法计划: planned enforcement checks per unit and year (the base of the 20% rule)."""

    column_auto_select_related = False
    column_list = ("unit", "year", "planned_checks", "evaluations", "percent")
    column_labels = {"unit": "单位", "year": "年度", "planned_checks": "计划执法检查（次）",
                     "evaluations": "服务质量考评（份）", "percent": "覆盖率", "unit.name": "单位"}
    column_formatters = {"evaluations": _plan_evaluations, "percent": _plan_percent}
    column_export_list = ("unit", "year", "planned_checks", "evaluations", "percent")
    column_formatters_export = {"evaluations": _plan_evaluations,
                                "percent": lambda v, c, m, n: f"{_coverage_of(m).percent}%" if _coverage_of(m) else ""}
    column_filters = ("year", "unit.name")
    column_default_sort = ("year", True)
    column_sortable_list = ("year", "planned_checks")
    form_columns = ("unit", "year", "planned_checks")
    form_args = {
        "unit": {"label": "单位"},
        "year": {"label": "年度"},
        "planned_checks": {"label": "计划执法检查（次）"},
    }

    def get_query(self):
        return self.scope_query(super(SecuredModelView, self).get_query().options(selectinload(EnforcementPlan.unit)))

    def scope_query(self, query):
        if works_for_a_unit(current_user.role):
            return query.filter(EnforcementPlan.unit_id == current_user.org_unit_id)
        return query

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET" and not form.year.data:
            form.year.data = clock.today().year
        return form

    def on_model_change(self, form, model, is_created):
        problems = []
        if model.unit is None:
            problems.append("请选择单位")
        if model.year is None or not 2000 <= model.year <= 2100:
            problems.append("年度应为2000至2100之间的年份")
        if model.planned_checks is None or model.planned_checks < 0:
            problems.append("计划执法检查次数应为不小于0的整数")
        if not problems:
            with db.session.no_autoflush:  # the new row itself must not be flushed and found
                clash = db.session.scalar(select(EnforcementPlan.id).where(
                    EnforcementPlan.unit_id == model.unit.id, EnforcementPlan.year == model.year,
                    EnforcementPlan.id != (model.id or -1)))
            if clash:
                problems.append(f"{model.unit.name}{model.year}年度的执法计划已录入，请修改原记录")
        if problems:
            raise DomainError("；".join(problems) + "。")


# --- submissions board and coverage --------------------------------------------------------------


def _scoped_unit_ids() -> list[int] | None:
    if works_for_a_unit(current_user.role):
        return [current_user.org_unit_id or -1]
    return None


def _table_file(export_type: str, title: str, headers: list[str], rows: list[list], basename: str):
    """A report as .xlsx or .csv (typed cells, nothing a spreadsheet evaluates; app/services/spreadsheets.py)."""
    if export_type == "csv":
        data, mimetype = spreadsheets.csv_bytes(headers, rows), "text/csv; charset=utf-8"
    elif export_type == "xlsx":
        data, mimetype = spreadsheets.table_workbook(title, headers, rows), XLSX_MIMETYPE
    else:
        abort(404)
    response = send_file(io.BytesIO(data), as_attachment=True, download_name=f"{basename}.{export_type}",
                         mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-store"
    return response


class SubmissionsView(ReadOnlyView):
    """报送情况 (第二十二条): each unit's periods of a year — 按时, 逾期, 缺报, 待报送."""

    can_view_details = False

    @expose("/")
    def index_view(self):
        year = _year_arg()
        rows = submissions.submissions_board(year, unit_ids=_scoped_unit_ids())
        monthly = [r for r in rows if r.cadence == "month"]
        quarterly = [r for r in rows if r.cadence == "quarter"]
        return self.render("admin/scoring/submissions.html", year=year, monthly=monthly, quarterly=quarterly,
                           kinds=ORG_KINDS, today=clock.today(), can_export=self._can("export"))

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if not self._can("export"):
            abort(403)
        year = _year_arg()
        rows = []
        for row in submissions.submissions_board(year, unit_ids=_scoped_unit_ids()):
            for cell in row.cells:
                rows.append([row.unit.name, ORG_KINDS.get(row.unit.kind, row.unit.kind), cell.period.label,
                             cell.due.isoformat(), cell.used, cell.on_time, cell.late, cell.paper,
                             cell.status_label or "无需报送"])
        headers = ["单位", "类别", "报送期", "截止日期", "使用专家（人次）", "按时报送（份）", "逾期报送（份）",
                   "其中纸质表补录（份）", "状态"]
        record_export(self, len(rows), export_type, what=f"{year}年评价表报送情况")
        return _table_file(export_type, f"{year}年报送情况", headers, rows, f"评价表报送情况-{year}")


class CoverageView(ReadOnlyView):
    """考评覆盖率 (第二十二条): service-quality evaluations against 20% of the enforcement plan."""

    can_view_details = False

    @expose("/")
    def index_view(self):
        year = _year_arg()
        rows = coverage_service.coverage(year, unit_ids=_scoped_unit_ids())
        return self.render("admin/scoring/coverage.html", year=year, rows=rows, kinds=ORG_KINDS,
                           below=[r for r in rows if r.below], can_export=self._can("export"),
                           today=clock.today())

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if not self._can("export"):
            abort(403)
        year = _year_arg()
        rows = [[r.unit.name, ORG_KINDS.get(r.unit.kind, r.unit.kind), r.planned if r.planned is not None else "",
                 r.evaluations, r.required if r.required is not None else "",
                 f"{r.percent}%" if r.percent is not None else "", r.all_evaluations, r.status_label]
                for r in coverage_service.coverage(year, unit_ids=_scoped_unit_ids())]
        headers = ["单位", "类别", "年度执法计划（次）", "服务质量考评（份）", "应达（20%）", "覆盖率",
                   "全部评价（份）", "状态"]
        record_export(self, len(rows), export_type, what=f"{year}年专家服务质量考评覆盖率")
        return _table_file(export_type, f"{year}年考评覆盖率", headers, rows, f"专家服务质量考评覆盖率-{year}")
