"""Discipline and assessment in the admin (第二十一、二十二条, 第十三条(六); SPEC §3.7, §3.14).

- 违规处理 (``violation``): the office records a possible violation, then verifies it
  (核实 applies the ladder by itself and shows the sanction with its dates) or finds it
  unfounded (不予认定). Drafts opened by a very low evaluation item arrive here too.
- 约谈记录 (``interview``): interviews opened by a suspension or an unqualified grade;
  the office records when they were held and, for a grade, the outcome.
- 年度考核 (``annual_assessment``): run a year's assessment, see the grades, publish them.
- 回访测评 (``follow_up``): the enterprise's view of an expert's service, recorded by staff.

The views only collect input and call ``app.services.discipline.ladder`` / ``assessment``.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEmpty, FilterEqual
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import linked, yes_no
from app import clock, validators
from app.auth.rights import allowed
from app.extensions import db
from app.form_choices import options
from app.services.discipline import assessment as assessment_service
from app.services.discipline import ladder as discipline_service
from app.services.discipline.assessment import followup_info
from app.services.errors import DomainError
from app.services.proposals import propose_dismissal
from app.services.status import status_of
from models import AnnualAssessment, FollowUp, Interview, User, Violation
from models.choices import (
    ASSESSMENT_GRADES,
    FOLLOW_UP_SATISFACTION,
    INTERVIEW_OUTCOMES,
    SANCTIONS,
    VIOLATION_STATES,
)

CATEGORY = "违规与考核"
#: Follow-up visits sit with the evaluations (the scoring area's menu).
EVALUATION_CATEGORY = "专家考评"
#: Who runs and publishes the annual assessment: 基础科 (第十七条: 负责专家的……考核).
ASSESSORS = frozenset({"office"})


def _date(value) -> str:
    return value.isoformat() if value else ""


def sanction_span(view, context, model, name):
    """The days the sanction covers, e.g. 2027-11-30 至 2028-02-28（2028-02-29起恢复）."""
    return span_text(model)


def span_text(model) -> str:
    """``sanction_span`` for templates."""
    if model.state != "verified" or not model.sanction:
        return ""
    if model.sanction == "warning":
        return _date(model.sanction_start)
    last = model.sanction_end - dt.timedelta(days=1)
    return f"{_date(model.sanction_start)} 至 {_date(last)}（{_date(model.sanction_end)}起恢复）"


def local_time(value) -> str:
    """A stored UTC time in Beijing time, to the minute."""
    return clock.format_time(value)


def _nowrap(text: str) -> Markup:
    return Markup(f'<span class="text-nowrap">{escape(text)}</span>')


def _short(text: str | None, n: int = 40) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[:n] + "…"


def _parse_date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


class ViolationView(SecuredModelView):
    """违规处理 (第二十一条): record, verify (the ladder applies itself), or 不予认定."""

    # state, outcome and the buttons come first: on a phone they are what fits on the screen
    column_list = ("expert", "state", "sanction", "handle", "found_on", "finding", "sanction_span", "illegal_referral")
    column_details_list = ("expert", "found_on", "finding", "evaluation", "investigation", "state", "verified_on",
                           "verified_by", "sanction", "sanction_span", "ladder_note", "illegal_referral",
                           "referral_note", "created_at")
    column_export_list = ("expert", "found_on", "finding", "investigation", "state", "verified_on", "sanction",
                          "sanction_span", "ladder_note", "illegal_referral", "referral_note")
    column_labels = {
        "expert": "专家", "expert.name": "专家姓名", "found_on": "发现日期", "finding": "违规情形",
        "investigation": "调查核实结果", "state": "状态", "verified_on": "核实/处理日期", "verified_by": "经办人",
        "sanction": "处理", "sanction_span": "处理期间", "ladder_note": "处理说明", "illegal_referral": "违法违规移送",
        "referral_note": "移送情况", "evaluation": "来源评价表", "handle": "办理", "created_at": "登记时间",
    }
    column_descriptions = {"illegal_referral": "第二十一条：发现专家存在违法违规行为的，按照相关法律法规进行处理"}
    column_sortable_list = ("found_on", "state", "sanction", "verified_on", ("expert", "expert.name"))
    column_default_sort = ("found_on", True)
    column_searchable_list = ("expert.name", "finding")
    column_filters = (
        FilterEqual(Violation.state, "状态", options=list(VIOLATION_STATES.items())),
        FilterEqual(Violation.sanction, "处理", options=list(SANCTIONS.items())),
        BooleanEqualFilter(Violation.illegal_referral, "违法违规移送"),
        FilterEmpty(Violation.evaluation_id, "由评价表低分生成"),
        "found_on",
    )
    form_columns = ("expert", "found_on", "finding", "investigation", "illegal_referral", "referral_note")
    form_args = {
        "expert": {"label": "专家", "validators": [validators.required("请选择专家")]},
        "found_on": {
            "label": "发现日期",
            "validators": [validators.required("请填写发现日期"), validators.not_in_future],
        },
        "finding": {
            "label": "违规情形",
            "validators": [validators.required("请填写违规情形")],
            "description": "违反第十条专家义务或《专家服务承诺书》（附件1）的具体情形",
        },
        "investigation": {"label": "调查核实结果", "description": "核实时必填"},
        "illegal_referral": {"label": "属违法违规行为，移送处理"},
        "referral_note": {"label": "移送情况", "description": "移送机关、日期、文号"},
    }
    form_widget_args = {"finding": {"rows": 4}, "investigation": {"rows": 3}, "referral_note": {"rows": 2}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    column_auto_select_related = False
    details_template = "admin/discipline/violation_details.html"

    def _evaluation(view, context, model, name):
        ev = model.evaluation
        if ev is None:
            return ""
        return f"{ev.enterprise_name} {ev.evaluated_on.isoformat()} 考评人{ev.evaluator_name} 总分{ev.total}分"

    def _handle(view, context, model, name):
        if model.state != "draft" or not view.can_edit:
            return ""
        verify = url_for(".verify_view", id=model.id)
        drop = url_for(".dismiss_view", id=model.id)
        return Markup(f'<a class="btn btn-sm btn-primary" href="{escape(verify)}">核实</a> '
                      f'<a class="btn btn-sm btn-outline-secondary" href="{escape(drop)}">不予认定</a>')

    column_formatters = {
        "expert": lambda v, c, m, n: _nowrap(m.expert.name),
        "found_on": lambda v, c, m, n: _nowrap(_date(m.found_on)),
        "state": lambda v, c, m, n: _nowrap(m.state_label),
        "sanction": lambda v, c, m, n: m.sanction_label if m.state == "verified" and m.sanction else (
            "不另行处罚" if m.state == "verified" else ""),
        "sanction_span": sanction_span,
        "illegal_referral": yes_no,
        "finding": lambda v, c, m, n: _short(m.finding, 60),
        "evaluation": _evaluation,
        "handle": _handle,
        "verified_by": lambda v, c, m, n: (m.verified_by.full_name or m.verified_by.username) if m.verified_by else "",
        "created_at": lambda v, c, m, n: local_time(m.created_at),
    }
    column_formatters_detail = {**column_formatters, "finding": lambda v, c, m, n: m.finding}
    column_formatters_export = {**{k: v for k, v in column_formatters.items() if k not in ("handle",)},
                                "expert": lambda v, c, m, n: m.expert.name, "found_on": lambda v, c, m, n: m.found_on,
                                "state": lambda v, c, m, n: m.state_label}
    column_formatters_export["finding"] = lambda v, c, m, n: m.finding

    def get_query(self):
        return super().get_query().options(selectinload(Violation.expert), selectinload(Violation.evaluation))

    # -- create and edit go through the service ------------------------------------------
    def create_model(self, form):
        try:
            model = discipline_service.record_violation(
                form.expert.data, form.found_on.data, form.finding.data, investigation=form.investigation.data,
                illegal_referral=form.illegal_referral.data, referral_note=form.referral_note.data, actor=current_user)
            db.session.commit()
        except Exception as ex:  # noqa: BLE001 - Flask-Admin's own pattern; DomainError is flashed
            db.session.rollback()
            if not self.handle_view_exception(ex):
                raise
            return False
        self.after_model_change(form, model, True)
        return model

    def on_model_change(self, form, model, is_created):
        if not is_created:
            discipline_service.amend_violation(model, actor=current_user)

    # -- verify / 不予认定 / dismissal proposal -------------------------------------------------
    def _writable_or_403(self):
        if not self.can_edit:
            abort(403)

    def _draft_or_redirect(self):
        rid = request.values.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None:
            flash("未找到该违规记录。", "error")
            return None, redirect(url_for(".index_view"))
        if model.state != "draft":
            flash(f"该违规记录已{model.state_label}。", "warning")
            return None, redirect(url_for(".details_view", id=model.id))
        return model, None

    def _history(self, model):
        return list(db.session.scalars(
            select(Violation).where(Violation.expert_id == model.expert_id, Violation.state == "verified",
                                    Violation.id != model.id).order_by(Violation.verified_on, Violation.id)))

    @expose("/verify/", methods=("GET", "POST"))
    def verify_view(self):
        """核实: shows what the ladder will do, applies it on confirmation, shows the result."""
        self._writable_or_403()
        model, response = self._draft_or_redirect()
        if response is not None:
            return response
        today = clock.today()
        verified_on = _parse_date(request.args.get("verified_on")) or today
        if request.method == "POST":
            verified_on = _parse_date(request.form.get("verified_on"))
            model.illegal_referral = request.form.get("illegal_referral") == "y"
            model.referral_note = (request.form.get("referral_note") or "").strip() or None
            try:
                if verified_on is None:
                    raise DomainError("请填写有效的核实日期。")
                step = discipline_service.verify_violation(
                    model, verified_on=verified_on, investigation=request.form.get("investigation", ""),
                    actor=current_user)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                flash(str(err), "error")
                model = self.get_one(str(model.id))
                verified_on = verified_on or today
            else:
                released = ("其尚未完成、工作日期在处分生效日及以后的任务已解除选派，由候补递补或由使用单位重新抽取。"
                            if step.sanction in ("suspension", "blacklist") else "")
                flash(f"已核实，处理结果：{step.label}。{released}", "success")
                return redirect(url_for(".details_view", id=model.id))
        preview = discipline_service.preview_step(model, verified_on)
        return self.render("admin/discipline/violation_verify.html", model=model, preview=preview,
                           history=self._history(model), status=status_of(model.expert_id, today),
                           verified_on=verified_on, today=today, form_values=request.form)

    @expose("/verify/preview/")
    def verify_preview_view(self):
        """What verifying would do on another 核实日期 (the verify page asks when the date changes)."""
        self._writable_or_403()
        rid = request.args.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None or model.state != "draft":
            abort(404)
        verified_on = _parse_date(request.args.get("verified_on"))
        if verified_on is None or verified_on > clock.today():
            return jsonify({"error": "请填写不晚于今天的有效核实日期。"}), 400
        step = discipline_service.preview_step(model, verified_on)
        basis = f"以核实日期{verified_on.isoformat()}计算；暂停、黑名单期满之日起自动恢复，无需任何操作。"
        return jsonify({"verified_on": verified_on.isoformat(), "sanction": step.sanction, "label": step.label,
                        "note": step.note, "interview": step.interview, "basis": basis})

    @expose("/dismiss/", methods=("GET", "POST"))
    def dismiss_view(self):
        """不予认定 with its reason."""
        self._writable_or_403()
        model, response = self._draft_or_redirect()
        if response is not None:
            return response
        if request.method == "POST":
            try:
                discipline_service.dismiss_violation(model, request.form.get("reason", ""), actor=current_user)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                flash(str(err), "error")
                model = self.get_one(str(model.id))
            else:
                flash("已不予认定，该记录对专家不产生任何后果。", "success")
                return redirect(url_for(".details_view", id=model.id))
        return self.render("admin/discipline/violation_dismiss.html", model=model)

    @expose("/propose_dismissal/", methods=("POST",))
    def propose_dismissal_view(self):
        """Put the expert of a verified violation on the dismissal-proposal list (第十三条(七))."""
        if not allowed(current_role(), "dismissal", "create"):
            abort(403)
        rid = request.form.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None or model.state != "verified":
            flash("只能对已核实的违规提出解聘建议。", "error")
            return redirect(url_for(".index_view"))
        try:
            propose_dismissal(model.expert, "7", origin="manual", actor_id=current_user.id,
                              detail=f"{model.found_on.isoformat()}发现违规：{_short(model.finding, 150)}")
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            flash(f"已将{model.expert.name}列入拟解聘名单（第十三条(七)），待局领导审批。", "success")
        return redirect(url_for(".details_view", id=model.id))

    @expose("/blacklist_announcement/", methods=("POST",))
    def blacklist_announcement_view(self):
        """Draft the 黑名单公告 of a blacklisted expert; the office publishes it under 公告."""
        if not allowed(current_role(), "announcement", "create"):
            abort(403)
        rid = request.form.get("id", type=int)
        model = self.get_one(str(rid)) if rid else None
        if model is None:
            abort(404)
        try:
            ann = discipline_service.draft_blacklist_announcement(model, actor=current_user)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
            return redirect(url_for(".details_view", id=model.id))
        flash(linked("黑名单公告已起草，请核对文字、填写文号后发布。" if not ann.published else "该黑名单公告已发布。",
                     url_for("announcement.details_view", id=ann.id), "查看公告"), "success")
        return redirect(url_for("announcement.details_view", id=ann.id))

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            model = kwargs["model"]
            # where the ladder stops (recorded only, already blacklisted) or the act is illegal,
            # the office may go further under 第十三条(七); a leader decides
            kwargs["can_propose_dismissal"] = allowed(current_role(), "dismissal", "create") and (
                model.state == "verified" and (model.sanction in (None, "blacklist") or model.illegal_referral))
            kwargs["can_announce_blacklist"] = (
                model.state == "verified"
                and model.sanction == "blacklist"
                and allowed(current_role(), "announcement", "create")
                and "announcement.details_view" in current_app.view_functions
            )
        return super().render(template, **kwargs)


class InterviewView(SecuredModelView):
    """约谈记录: opened by a suspension (第二十一条) or an unqualified grade (第十三条(六))."""

    column_list = ("expert", "reason", "held_on", "outcome", "interviewer", "notes")
    column_details_list = ("expert", "reason", "violation", "assessment", "held_on", "outcome", "interviewer", "notes",
                           "created_at")
    column_export_list = ("expert", "reason", "held_on", "outcome", "interviewer", "notes")
    column_labels = {
        "expert": "专家", "expert.name": "专家姓名", "reason": "约谈事由", "held_on": "约谈日期", "outcome": "约谈结论",
        "interviewer": "约谈人", "notes": "约谈情况", "violation": "相关违规", "assessment": "相关年度考核",
        "created_at": "生成时间",
    }
    column_default_sort = ("created_at", True)
    column_sortable_list = ("held_on", "created_at", ("expert", "expert.name"))
    column_searchable_list = ("expert.name", "reason")
    column_filters = (FilterEmpty(Interview.held_on, "待约谈"), "held_on")
    column_formatters = {
        "held_on": lambda v, c, m, n: (
            _date(m.held_on) if m.held_on else Markup('<span class="badge badge-warning">待约谈</span>')
        ),
        "outcome": lambda v, c, m, n: m.outcome_label,
        "interviewer": lambda v, c, m, n: (m.interviewer.full_name or m.interviewer.username) if m.interviewer else "",
        "notes": lambda v, c, m, n: _short(m.notes, 40),
        "violation": lambda v, c, m, n: (
            f"{m.violation.found_on.isoformat()} {_short(m.violation.finding, 40)}" if m.violation else ""
        ),
        "assessment": lambda v, c, m, n: f"{m.assessment.year}年度 {m.assessment.grade_label}" if m.assessment else "",
        "created_at": lambda v, c, m, n: local_time(m.created_at),
    }
    column_formatters_detail = {**column_formatters, "notes": lambda v, c, m, n: m.notes or ""}
    column_formatters_export = {**column_formatters, "held_on": lambda v, c, m, n: _date(m.held_on) or "待约谈",
                                "notes": lambda v, c, m, n: m.notes or ""}
    form_columns = ("expert", "reason", "held_on", "outcome", "notes")
    form_overrides = {"outcome": SelectField}
    form_args = {
        "expert": {"label": "专家", "validators": [validators.required("请选择专家")]},
        "reason": {"label": "约谈事由", "validators": [validators.required("请填写约谈事由")]},
        "held_on": {"label": "约谈日期", "validators": [validators.not_in_future], "description": "约谈后填写"},
        "outcome": {"label": "约谈结论", "choices": options(INTERVIEW_OUTCOMES, blank="（不适用）"),
                    "description": "年度考核不合格的约谈必选；“仍无法达到工作要求”将列入拟解聘名单（第十三条(六)）"},
        "notes": {"label": "约谈情况"},
    }
    form_widget_args = {"notes": {"rows": 4}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    column_auto_select_related = False

    def get_query(self):
        return super().get_query().options(selectinload(Interview.expert), selectinload(Interview.interviewer))

    def create_form(self, obj=None):
        form = super().create_form(obj)
        del form.outcome  # an outcome belongs to an interview opened by an unqualified grade
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and obj.id:  # who and why were set by the rule that opened it
            del form.expert
            if obj.violation_id or obj.assessment_id:
                del form.reason
            if not obj.assessment_id:
                del form.outcome
        return form

    def on_model_change(self, form, model, is_created):
        model.outcome = model.outcome or None
        if is_created:
            if model.outcome:
                raise DomainError("约谈结论只适用于年度考核不合格的约谈。")
            if model.held_on:
                model.interviewer_id = current_user.id
            return
        held = inspect(model).attrs.held_on.history
        outcome = inspect(model).attrs.outcome.history
        first_time = bool(held.deleted) and held.deleted[0] is None
        if model.held_on is None:
            if model.outcome:
                raise DomainError("请填写约谈日期。")
            return
        if first_time or outcome.has_changes():
            assessment_service.record_interview(model, held_on=model.held_on, notes=model.notes,
                                                outcome=model.outcome, actor=current_user)


class AnnualAssessmentView(SecuredModelView):
    """年度考核: run the year's assessment, list the grades, publish them (第二十二条)."""

    list_template = "admin/discipline/assessment_list.html"
    column_list = ("year", "expert", "grade", "average_score", "evaluation_count", "follow_up_count",
                   "follow_up_average", "enterprise_voice", "violation_count", "assignments", "attended", "absences",
                   "grade_reason")
    column_details_list = column_list + ("announcement", "decided_at")
    column_export_list = column_list + ("announcement",)
    column_labels = {
        "year": "年度", "expert": "专家", "expert.name": "专家姓名", "evaluation_count": "评价表",
        "average_score": "平均分", "follow_up_count": "回访", "follow_up_average": "回访满意度",
        "violation_count": "违规", "assignments": "选派", "attended": "到场",
        "absences": "无故缺席", "grade": "等次", "grade_reason": "评定依据", "announcement": "公示",
        "decided_at": "评定时间", "enterprise_voice": "企业回访",
    }
    column_descriptions = {"enterprise_voice": "份数和平均分，仅供参考，不计入等次", "evaluation_count": "份",
                           "follow_up_count": "次", "follow_up_average": "满分5分",
                           "violation_count": "年度内发现并经核实的违规次数", "assignments": "被选派（含拒绝）次数",
                           "absences": "无正当理由拒绝或未到场次数"}
    column_default_sort = [("year", True), ("average_score", True)]
    column_sortable_list = ("year", "average_score", "evaluation_count", "grade", ("expert", "expert.name"))
    column_searchable_list = ("expert.name",)
    column_filters = (FilterEqual(AnnualAssessment.grade, "等次", options=list(ASSESSMENT_GRADES.items())),)
    column_formatters = {
        "expert": lambda v, c, m, n: _nowrap(m.expert.name),
        "grade": lambda v, c, m, n: _nowrap(m.grade_label),
        "decided_at": lambda v, c, m, n: local_time(m.decided_at),
        "announcement": lambda v, c, m, n: (
            f"已公示（{_date(m.announcement.published_on)}）" if m.announcement else "未公示"
        ),
        "grade_reason": lambda v, c, m, n: m.grade_reason or "",
        "enterprise_voice": lambda v, c, m, n: followup_info(m.expert_id, m.year).label,
    }
    column_formatters_export = {**column_formatters, "expert": lambda v, c, m, n: m.expert.name,
                                "grade": lambda v, c, m, n: m.grade_label}
    column_auto_select_related = False

    def _can(self, action_name):
        # Computed records: nobody types a grade in (第二十二条: 根据评定结果评定).
        if action_name in ("create", "edit", "delete"):
            return False
        return super()._can(action_name)

    actions_need_edit = False  # each action checks its own right in is_action_allowed

    def scope_query(self, query):
        if current_role() == "expert":
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def _selected_year(self) -> int | None:
        if current_role() == "expert":
            return None
        year = request.args.get("year", type=int)
        if year:
            return year
        latest = db.session.scalar(select(func.max(AnnualAssessment.year)))
        return latest or clock.today().year - 1

    def get_query(self):
        query = super().get_query().options(selectinload(AnnualAssessment.expert),
                                            selectinload(AnnualAssessment.announcement))
        year = self._selected_year()
        return query.filter(AnnualAssessment.year == year) if year else query

    def get_count_query(self):
        query = super().get_count_query()
        year = self._selected_year()
        return query.filter(AnnualAssessment.year == year) if year else query

    def render(self, template, **kwargs):
        if template == self.list_template:
            year = self._selected_year()
            kwargs["assessment_year"] = year
            if year:
                kwargs["grade_counts"] = assessment_service.grade_counts(year)
                kwargs["published"] = assessment_service.is_published(year)
                kwargs["announcement"] = db.session.scalar(
                    select(AnnualAssessment.announcement_id).where(AnnualAssessment.year == year,
                                                                   AnnualAssessment.announcement_id.is_not(None)).limit(1))
                kwargs["year_choices"] = list(range(clock.today().year, 2019, -1))
                kwargs["can_assess"] = current_role() in ASSESSORS
                kwargs["pending_interviews"] = db.session.scalar(
                    select(func.count())
                    .select_from(Interview)
                    .join(AnnualAssessment, Interview.assessment_id == AnnualAssessment.id)
                    .where(AnnualAssessment.year == year, Interview.held_on.is_(None))
                )
        return super().render(template, **kwargs)

    def _assessor_or_403(self):
        if current_role() not in ASSESSORS:
            abort(403)

    @expose("/run/", methods=("POST",))
    def run_view(self):
        """评定: compute the year's figures and grades (again, until published)."""
        self._assessor_or_403()
        year = request.form.get("year", type=int)
        try:
            rows = assessment_service.run_assessment(year)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            counts = {}
            for row in rows:
                counts[row.grade_label] = counts.get(row.grade_label, 0) + 1
            flash(f"{year}年度考核已评定：共{len(rows)}名专家，" + "，".join(f"{k}{v}名" for k, v in counts.items())
                  + "。核对无误后请公示。", "success")
        return redirect(url_for(".index_view", year=year))

    @expose("/publish/", methods=("POST",))
    def publish_view(self):
        """公示: publish the year's results; 不合格 experts get an interview (第十三条(六))."""
        self._assessor_or_403()
        year = request.form.get("year", type=int)
        try:
            ann = assessment_service.publish_assessment(year or 0, actor=current_user,
                                                        doc_no=(request.form.get("doc_no") or "").strip() or None)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            unqualified = sum(1 for e in ann.entries if e.remark == ASSESSMENT_GRADES["unqualified"])
            flash(linked(f"已发布公告《{ann.title}》（{ann.doc_no}，{ann.published_on}）。",
                         url_for("public.announcement", announcement_id=ann.id), "查看公开页面"), "success")
            if unqualified:
                flash(linked(f"{unqualified}名不合格专家已生成待约谈记录。", url_for("interview.index_view"),
                             "查看约谈记录"), "info")
        return redirect(url_for(".index_view", year=year))


class FollowUpView(SecuredModelView):
    """回访测评 (第二十二条): the enterprise's view of the expert's service, recorded by staff."""

    column_list = ("visited_on", "expert", "enterprise", "satisfaction", "comment")
    column_details_list = ("visited_on", "expert", "enterprise", "satisfaction", "comment", "recorded_by_id",
                           "created_at")
    column_export_list = ("visited_on", "expert", "enterprise", "satisfaction", "comment")
    column_labels = {
        "visited_on": "回访日期", "expert": "专家", "expert.name": "专家姓名", "enterprise": "服务企业",
        "enterprise.name": "企业名称", "satisfaction": "满意度", "comment": "企业意见", "recorded_by_id": "记录人",
        "created_at": "记录时间",
    }
    column_default_sort = ("visited_on", True)
    column_sortable_list = ("visited_on", "satisfaction", ("expert", "expert.name"))
    column_searchable_list = ("expert.name", "enterprise.name", "comment")
    column_filters = (FilterEqual(FollowUp.satisfaction, "满意度",
                                  options=[(str(k), v) for k, v in FOLLOW_UP_SATISFACTION.items()]), "visited_on")
    column_formatters = {
        "satisfaction": lambda v, c, m, n: f"{m.satisfaction}分 {FOLLOW_UP_SATISFACTION.get(m.satisfaction, '')}",
        "comment": lambda v, c, m, n: _short(m.comment, 50),
        "recorded_by_id": lambda v, c, m, n: _user_name(m.recorded_by_id),
        "created_at": lambda v, c, m, n: local_time(m.created_at),
    }
    column_formatters_detail = {**column_formatters, "comment": lambda v, c, m, n: m.comment or ""}
    column_formatters_export = column_formatters_detail
    form_columns = ("expert", "enterprise", "visited_on", "satisfaction", "comment")
    form_overrides = {"satisfaction": SelectField}
    form_args = {
        "expert": {"label": "专家", "validators": [validators.required("请选择专家")]},
        "enterprise": {"label": "服务企业"},
        "visited_on": {
            "label": "回访日期",
            "validators": [validators.required("请填写回访日期"), validators.not_in_future],
        },
        "satisfaction": {
            "label": "企业满意度",
            "coerce": int,
            "choices": options((k, f"{k}分 {v}") for k, v in FOLLOW_UP_SATISFACTION.items()),
        },
        "comment": {"label": "企业意见", "description": "企业对专家服务的评价、反映的问题"},
    }
    form_widget_args = {"comment": {"rows": 3}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10},
                      "enterprise": {"fields": ("name", "uscc"), "page_size": 10}}
    column_auto_select_related = False

    def get_query(self):
        return super().get_query().options(selectinload(FollowUp.expert), selectinload(FollowUp.enterprise))

    def on_model_change(self, form, model, is_created):
        if model.satisfaction not in FOLLOW_UP_SATISFACTION:
            raise DomainError("满意度须为1至5分。")
        if is_created:
            model.recorded_by_id = current_user.id


def _user_name(user_id) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return (user.full_name or user.username) if user else ""


def discipline_overview(expert) -> dict:
    """What the expert panel shows, limited to what the current user may see."""
    role = current_role()
    out = {"violations": [], "interviews": [], "assessments": [], "sanction": None,
           "see_violations": allowed(role, "violation", "list"),
           "see_assessments": allowed(role, "annual_assessment", "list"),
           "see_interviews": allowed(role, "interview", "list"),
           "may_record": allowed(role, "violation", "create"),
           "may_interview": allowed(role, "interview", "edit")}
    if out["see_violations"]:
        out["violations"] = list(
            db.session.scalars(
                select(Violation)
                .where(Violation.expert_id == expert.id)
                .order_by(Violation.found_on.desc(), Violation.id.desc())
            )
        )
        out["sanction"] = discipline_service.current_sanction(expert)
    if out["see_interviews"]:
        out["interviews"] = list(db.session.scalars(
            select(Interview).where(Interview.expert_id == expert.id).order_by(Interview.created_at.desc())))
    if out["see_assessments"]:
        out["assessments"] = list(
            db.session.scalars(
                select(AnnualAssessment)
                .where(AnnualAssessment.expert_id == expert.id)
                .order_by(AnnualAssessment.year.desc())
            )
        )
    return out
