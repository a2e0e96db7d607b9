"""The expert's lifecycle in the admin (issue 3): applications and their review
(第十一、十二条), terms, renewal and 换届 (第六、七条), commitment letters (附件1),
dismissals (第十三条) and announcements (公告).

Views stay thin: every change goes through a service of ``app.services`` (review,
terms, dismissal, announcements), which checks the role and the state and raises a
``DomainError`` with the Chinese reason; the view commits or rolls back and shows the
message. The steps of the review are small pages of their own (one opinion box each)
and bulk pages for the test results, the 拟聘名单 and the appointment 发文.

Rights: the RIGHTS table decides who sees each view; the steps themselves are
decided by role inside — 基础科 (``office``) for 初审, test, 拟聘名单, 发文, renewal,
letters, proposals and announcements; 局领导 (``leader``) for the meeting's decisions
and dismissal approval. Anyone else gets 403.
"""
from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from datetime import timezone
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange
from wtforms.validators import Optional as OptionalValidator

from admin_views.base import STALE_MESSAGE, SecuredModelView, current_role
from admin_views.formatters import choice, yes_no
from app import validators
from app.auth.rights import allowed, sees_unmasked
from app.extensions import db
from app.public.apply_forms import SelfRecommendationForm
from app.services import announcements as announcement_service
from app.services import dismissal as dismissal_service
from app.services import intake
from app.services import lifecycle_documents as documents
from app.services import review
from app.services import terms as term_service
from app.services.eligibility import eligibility_of
from app.services.errors import DomainError
from app.services.permits import current_permit
from app.services.timeline import timeline_of
from app.services.uploads import read_upload
from models import (
    Announcement,
    Application,
    CommitmentLetter,
    Dismissal,
    Expert,
    OrgUnit,
    Term,
)
from models.choices import (
    ANNOUNCEMENT_KINDS,
    APPLICATION_CHANNELS,
    APPLICATION_STATES,
    DISMISSAL_ORIGINS,
    DISMISSAL_REASONS,
    DISMISSAL_STATES,
    TOWN_LEVEL_KINDS,
)

LIFECYCLE = "聘任管理"
LOCAL = ZoneInfo("Asia/Shanghai")
MAX_UPLOAD = 10 * 1024 * 1024


# --- small helpers ---------------------------------------------------------------------------


def local_time(view, context, model, name):
    """A stored UTC time in Beijing time, to the minute."""
    return fmt_time(getattr(model, name))


def fmt_time(value) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite returns naive values, stored as UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def _require_role(*roles: str) -> None:
    if current_role() not in roles:
        abort(403)


def _pdf(filename: str, data: bytes):
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False, download_name=filename)


def _one_or_404(view, raw):
    """The row with id ``raw`` that the view may show, or 404 (also for a non-numeric id)."""
    raw = str(raw or "").strip()
    model = view.get_one(raw) if raw.isdigit() else None
    if model is None:
        abort(404)
    return model


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _commit(success: str) -> bool:
    """Commit and flash ``success``; on a DomainError the caller has already rolled back."""
    db.session.commit()
    if success:
        flash(success, "success")
    return True


def _refuse(err: Exception) -> None:
    db.session.rollback()
    flash(str(err), "error")


def _upload_bytes(storage) -> bytes | None:
    if storage is None or not getattr(storage, "filename", ""):
        return None
    data = storage.read()
    if len(data) > MAX_UPLOAD:
        raise DomainError("文件不能超过10MB。")
    return data or None


def _date_or_none(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()) if (text or "").strip() else None
    except ValueError:
        raise DomainError(f"日期“{text}”格式不正确，应为YYYY-MM-DD。") from None


def recommending_units() -> list[OrgUnit]:
    """Units that may recommend (第十二条(一)): towns, sections, brigades."""
    return list(db.session.scalars(
        select(OrgUnit).where(OrgUnit.active.is_(True), OrgUnit.kind.in_(TOWN_LEVEL_KINDS + ("section", "brigade")))
        .order_by(OrgUnit.kind, OrgUnit.name)
    ))


def unit_choices() -> list[tuple[str, str]]:
    return [("", "（不适用）")] + [(str(u.id), f"{u.name}（{u.kind_label}）") for u in recommending_units()]


# --- forms ------------------------------------------------------------------------------------


CHANNEL_CHOICES = list(APPLICATION_CHANNELS.items())


class ChannelFields:
    """推荐渠道 and the recommending unit's opinion, contact person and phone (附件2 填表说明11)."""

    channel = SelectField("推荐渠道", choices=CHANNEL_CHOICES, default="town")
    recommending_unit = SelectField("推荐单位", choices=[], default="",
                                    description="镇安监科、局科室、大队推荐时选择推荐单位。")
    recommending_unit_name = StringField("推荐单位（本人所在单位全称）",
                                         validators=[Length(max=200, message="单位名称不能超过200字")],
                                         description="“本人所在单位”推荐时填写，不写简称。")
    recommender_opinion = TextAreaField("推荐单位意见", validators=[Length(max=2000, message="意见不能超过2000字")],
                                        render_kw={"rows": 2})
    recommender_contact = StringField("经办联系人", validators=[Length(max=50, message="联系人不能超过50字")])
    recommender_phone = StringField("联系电话", validators=[validators.landline_or_mobile],
                                    render_kw={"placeholder": "请写明区号，例：0519-86310627"})


class RecommendationForm(ChannelFields, SelfRecommendationForm):
    """Staff entry of a paper 附件2: the public form's fields plus the channel; the
    uploads and declarations are optional (they may follow on paper)."""

    photo = FileField("一寸彩色电子照片", render_kw={"accept": "image/jpeg,image/png"})
    id_card = FileField("身份证（正反面）", render_kw={"accept": "image/*,application/pdf"})
    diploma = FileField("毕业证书", render_kw={"accept": "image/*,application/pdf"})
    title_cert = FileField("职称证书", render_kw={"accept": "image/*,application/pdf"})
    registration_cert = FileField("注册安全工程师/注册安全评价师证书", render_kw={"accept": "image/*,application/pdf"})
    other = FileField("其他证明材料", render_kw={"accept": "image/*,application/pdf"})
    ethics_declared = BooleanField("本人已声明热爱安全生产工作，具有良好的职业道德（第十一条（一））")
    health_declared = BooleanField("本人已声明身体健康（第十一条（六））")
    truthful = BooleanField("登记表已由本人签字确认")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommending_unit.choices = unit_choices()

    def validate(self, extra_validators=None) -> bool:
        ok = FlaskForm.validate(self, extra_validators)
        problems = intake.intake_problems(self.intake_data(), self.uploads(), today=self.today,
                                          require_uploads=False, require_declarations=False)
        try:
            review.check_channel(self.channel.data, self.unit(), self.recommending_unit_name.data)
            if self.channel.data != "self":
                review.check_recommender(self.channel.data, self.recommender_opinion.data,
                                         self.recommender_contact.data, self.recommender_phone.data)
        except DomainError as err:
            self.form_errors.append(str(err))
            ok = False
        self.attach_problems(problems)
        return ok and not problems

    def unit(self) -> OrgUnit | None:
        return db.session.get(OrgUnit, int(self.recommending_unit.data)) if self.recommending_unit.data else None

    def intake_data(self) -> dict:
        data = super().intake_data()
        if self.channel.data != "self":
            data["recommender_opinion"] = (self.recommender_opinion.data or "").strip()
            data["recommender_contact"] = (self.recommender_contact.data or "").strip()
            data["recommender_phone"] = (self.recommender_phone.data or "").strip()
        return data


class ReapplyForm(ChannelFields, FlaskForm):
    """A new application for an expert already on record."""

    is_renewal = BooleanField("续聘申请（换届续聘同样适用第十二条程序）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommending_unit.choices = unit_choices()


class OpinionForm(FlaskForm):
    opinion = TextAreaField("意见", validators=[Length(max=2000, message="意见不能超过2000字")], render_kw={"rows": 4})


class TestResultForm(FlaskForm):
    result = RadioField("测试结果", choices=[("1", "合格"), ("0", "不合格")])
    score = StringField("测试成绩（分）", render_kw={"inputmode": "decimal", "placeholder": "0–100，可不填"})
    opinion = TextAreaField("说明", validators=[Length(max=2000, message="说明不能超过2000字")], render_kw={"rows": 3})


class AppointForm(FlaskForm):
    cohort = IntegerField("届次", validators=[NumberRange(min=1, max=99, message="届次须为1到99之间的整数")])
    doc_no = StringField("聘任发文文号", validators=[Length(max=50, message="发文文号不能超过50个字符")],
                         render_kw={"placeholder": "例：武应急〔2026〕12号"})
    start_date = DateField("聘期起始日期", format="%Y-%m-%d")


class AgeOverrideForm(FlaskForm):
    reason = TextAreaField("特批理由", validators=[Length(max=1000, message="理由不能超过1000字")], render_kw={"rows": 3})


class RenewForm(FlaskForm):
    doc_no = StringField("续聘发文文号", validators=[Length(max=50, message="发文文号不能超过50个字符")],
                         render_kw={"placeholder": "例：武应急〔2027〕3号"})
    start_date = DateField("新聘期起始日期", format="%Y-%m-%d", validators=[OptionalValidator()])
    cohort = IntegerField("届次", validators=[OptionalValidator(), NumberRange(min=1, max=99, message="届次须为1到99")])
    age_override_reason = TextAreaField("年龄特批理由（超过65周岁时填写）",
                                        validators=[Length(max=1000, message="理由不能超过1000字")], render_kw={"rows": 2})


class DecideForm(FlaskForm):
    decision = RadioField("决定", choices=[("approve", "批准解聘"), ("reject", "不予解聘")])
    effective_on = DateField("解聘生效日期", format="%Y-%m-%d", validators=[OptionalValidator()])
    note = TextAreaField("审批意见", validators=[Length(max=2000, message="意见不能超过2000字")], render_kw={"rows": 3})


# --- the expert page panels ------------------------------------------------------------------------


@dataclass
class LifecyclePanel:
    """What the expert's page shows of his lifecycle (data only; rules stay in the services)."""

    applications: list
    open_application: Application | None
    eligibility: object
    term: Term | None
    letters: list
    pending_dismissals: list
    events: list


def lifecycle_panel(expert: Expert) -> LifecyclePanel:
    """Applications, the conditions of 第十一条 today, the term, letters and the timeline
    (computed once per request: two panels read it)."""
    from flask import g

    cache = g.setdefault("_lifecycle_panels", {})
    if expert.id not in cache:
        cache[expert.id] = _build_panel(expert)
    return cache[expert.id]


def _build_panel(expert: Expert) -> LifecyclePanel:
    apps = list(db.session.scalars(
        select(Application).where(Application.expert_id == expert.id).order_by(Application.id.desc())
    ))
    open_app = next((a for a in apps if a.state in review.OPEN_STATES), None)
    return LifecyclePanel(
        applications=apps,
        open_application=open_app,
        eligibility=eligibility_of(expert, application=open_app or (apps[0] if apps else None)),
        term=term_service.current_term(expert) or term_service.latest_term(expert),
        letters=sorted(expert.commitment_letters, key=lambda x: x.signed_on, reverse=True),
        pending_dismissals=[d for d in expert.dismissals if d.state == "proposed"],
        events=timeline_of(expert),
    )


def can(endpoint: str, action_name: str = "list") -> bool:
    return allowed(current_role(), endpoint, action_name)


# --- Application ------------------------------------------------------------------------------------


class ApplicationView(SecuredModelView):
    """申请与评审: the list with its state filter, the details with the conditions of
    第十一条 and the review trail, a page per step and bulk pages."""

    column_list = ("expert", "receipt_no", "channel", "recommending_unit_name", "state", "is_renewal",
                   "direct_appointment", "test_score", "submitted_at")
    column_labels = {
        "receipt_no": "回执编号", "expert": "专家", "expert.name": "姓名", "channel": "推荐渠道",
        "recommending_unit_name": "推荐单位", "recommending_unit": "推荐单位", "state": "状态",
        "is_renewal": "续聘", "direct_appointment": "特需直聘", "direct_reason": "直接聘任理由",
        "test_score": "测试成绩", "age_override_reason": "年龄特批理由", "submitted_at": "提交时间",
    }
    column_formatters = {
        "channel": choice(APPLICATION_CHANNELS), "state": choice(APPLICATION_STATES), "is_renewal": yes_no,
        "direct_appointment": yes_no, "submitted_at": local_time,
        "test_score": lambda v, c, m, n: "" if m.test_score is None else f"{m.test_score.normalize():f}",
    }
    column_formatters_export = column_formatters
    column_details_list = ("receipt_no", "expert", "channel", "recommending_unit_name", "state", "is_renewal",
                           "direct_appointment", "direct_reason", "test_score", "age_override_reason", "submitted_at")
    column_export_list = column_list
    column_searchable_list = ("receipt_no", "expert.name", "recommending_unit_name")
    column_filters = (
        FilterEqual(Application.state, "状态", options=list(APPLICATION_STATES.items())),
        FilterEqual(Application.channel, "推荐渠道", options=CHANNEL_CHOICES),
        "is_renewal", "direct_appointment",
    )
    column_sortable_list = ("receipt_no", "state", "submitted_at", "test_score", ("expert", "expert.name"))
    column_default_sort = ("submitted_at", True)
    column_auto_select_related = False
    form_columns = ("channel", "recommending_unit", "recommending_unit_name", "is_renewal")
    form_choices = {"channel": CHANNEL_CHOICES}
    form_ajax_refs = {"recommending_unit": {"fields": ("name",), "page_size": 20}}
    list_template = "admin/lifecycle/application_list.html"
    details_template = "admin/lifecycle/application_details.html"

    actions_need_edit = False  # each action checks its own right in is_action_allowed

    def is_action_allowed(self, name):
        # Flask-Admin's built-in bulk 'delete' follows the delete right; the others are the office's
        if name == "delete":
            return self.can_delete
        return current_role() == "office" and name in dict(self._actions)

    def get_query(self):
        return super().get_query().options(selectinload(Application.expert))

    def on_model_change(self, form, model, is_created):
        if model.state != "submitted":
            raise DomainError("只有尚未初审的申请可以修改推荐渠道和推荐单位。")
        review.check_channel(model.channel, model.recommending_unit, model.recommending_unit_name)
        if model.recommending_unit is not None:
            model.recommending_unit_name = model.recommending_unit.name

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            model = kwargs["model"]
            kwargs.update(
                eligibility=review.eligibility_for(model),
                trail=review.review_trail(model),
                steps=review.available_steps(model, current_role()),
                fmt_time=fmt_time,
                state_labels=APPLICATION_STATES,
                can_override=current_role() == "office" and model.state in review.OPEN_STATES,
            )
        return super().render(template, **kwargs)

    def _application(self, id) -> Application:
        return _one_or_404(self, id)

    # -- entering a recommendation (第十二条(一)(二)) ----------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """录入推荐: the 附件2 of a recommended person with the channel, unit, opinion, contact and phone."""
        _require_role("office")
        form = RecommendationForm()
        if request.method == "POST" and form.validate():
            unit = form.unit()
            try:
                application = intake.submit_self_recommendation(
                    form.intake_data(), form.uploads(), channel=form.channel.data,
                    recommending_unit_id=unit.id if unit else None,
                    recommending_unit_name=unit.name if unit else ((form.recommending_unit_name.data or "").strip()
                                                                    or None),
                    actor_id=current_user.id, require_uploads=False, require_declarations=False,
                )
            except intake.IntakeRefused as err:
                db.session.rollback()
                form.attach_problems(err.problems)
            else:
                try:
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    intake.discard_stored_files(application)
                    raise
                flash(f"已录入{application.expert.name}的推荐，回执编号 {application.receipt_no}。", "success")
                return redirect(url_for(".details_view", id=application.id))
        return self.render("admin/lifecycle/recommend.html", form=form, submitted=request.method == "POST",
                           summary=form.error_summary() if request.method == "POST" else [])

    @expose("/reapply/<int:expert_id>", methods=("GET", "POST"))
    def reapply_view(self, expert_id):
        """A new application (or a renewal) for an expert already on record."""
        _require_role("office")
        expert = db.session.get(Expert, expert_id) or abort(404)
        form = ReapplyForm()
        if request.method == "GET":
            form.is_renewal.data = expert.stage == "in_pool"
            form.recommending_unit_name.data = expert.employer
        if request.method == "POST" and form.validate():
            unit = db.session.get(OrgUnit, int(form.recommending_unit.data)) if form.recommending_unit.data else None
            try:
                application = review.open_application(
                    expert, channel=form.channel.data, actor=current_user, recommending_unit=unit,
                    recommending_unit_name=form.recommending_unit_name.data, opinion=form.recommender_opinion.data,
                    contact=form.recommender_contact.data, phone=form.recommender_phone.data,
                    is_renewal=bool(form.is_renewal.data),
                )
            except DomainError as err:
                _refuse(err)
            else:
                _commit(f"已为{expert.name}新建申请 {application.receipt_no}。")
                return redirect(url_for(".details_view", id=application.id))
        return self.render("admin/lifecycle/reapply.html", form=form, expert=expert)

    # -- one step on one application ---------------------------------------------------------------
    @expose("/step/<int:id>/<code>", methods=("GET", "POST"))
    def step_view(self, id, code):
        """The form of one step: opinion, or the test result, or the appointment 发文."""
        if code not in review.STEPS:
            abort(404)
        step = review.STEPS[code]
        _require_role(*step.roles)
        application = self._application(id)
        form = {"test": TestResultForm, "appoint": AppointForm}.get(code, OpinionForm)()
        if request.method == "GET":
            if code == "appoint":
                form.cohort.data = term_service.current_cohort() or 1
                form.start_date.data = dt.date.today()
            elif isinstance(form, OpinionForm):
                form.opinion.data = step.default_opinion
        if request.method == "POST" and form.validate():
            try:
                self._take_step(application, code, form)
            except DomainError as err:
                _refuse(err)
            else:
                _commit(f"{application.expert.name}：{step.label}。")
                return redirect(url_for(".details_view", id=application.id))
        return self.render("admin/lifecycle/step.html", form=form, step=step, application=application,
                           eligibility=review.eligibility_for(application))

    def _take_step(self, application, code, form):
        user = current_user._get_current_object()
        if code == "prelim_pass":
            review.pass_prelim(application, user, form.opinion.data)
        elif code == "prelim_reject":
            review.reject_prelim(application, user, form.opinion.data)
        elif code == "test":
            passed = {"1": True, "0": False}.get(form.result.data)
            review.record_test_result(application, user, passed, form.score.data, form.opinion.data)
        elif code == "shortlist":
            review.shortlist([application], user, form.opinion.data)
        elif code == "approve":
            review.approve(application, user, form.opinion.data)
        elif code == "reject":
            review.reject(application, user, form.opinion.data)
        elif code == "direct":
            review.direct_appoint(application, user, form.opinion.data)
        elif code == "withdraw":
            review.withdraw(application, user, form.opinion.data)
        elif code == "appoint":
            review.appoint(application, user, cohort=form.cohort.data, doc_no=form.doc_no.data or "",
                           start_date=form.start_date.data)

    @expose("/age-override/<int:id>", methods=("GET", "POST"))
    def age_override_view(self, id):
        """基础科's written override of the age rule (第十一条(六) 原则上)."""
        _require_role("office")
        application = self._application(id)
        form = AgeOverrideForm()
        if request.method == "POST" and form.validate():
            try:
                review.override_age(application, current_user._get_current_object(), form.reason.data)
            except DomainError as err:
                _refuse(err)
            else:
                _commit(f"已对{application.expert.name}的年龄条件作出特批。")
                return redirect(url_for(".details_view", id=application.id))
        return self.render("admin/lifecycle/age_override.html", form=form, application=application,
                           eligibility=review.eligibility_for(application))

    # -- bulk: list actions lead to one opinion for many ------------------------------------------
    BULK_STEPS = ("prelim_pass", "prelim_reject", "shortlist", "withdraw", "approve")

    def _bulk_redirect(self, code, ids):
        return redirect(url_for(".bulk_view", code=code, ids=",".join(str(i) for i in ids)))

    @action("prelim_pass", "初审通过…")
    def action_prelim_pass(self, ids):
        return self._bulk_redirect("prelim_pass", ids)

    @action("prelim_reject", "初审不通过…")
    def action_prelim_reject(self, ids):
        return self._bulk_redirect("prelim_reject", ids)

    @action("shortlist", "列入拟聘名单…")
    def action_shortlist(self, ids):
        return self._bulk_redirect("shortlist", ids)

    @action("tests", "录入测试结果…")
    def action_tests(self, ids):
        return redirect(url_for(".tests_view", ids=",".join(str(i) for i in ids)))

    @action("appoint", "聘任发文…")
    def action_appoint(self, ids):
        return redirect(url_for(".appoint_view", ids=",".join(str(i) for i in ids)))

    def _selected(self, ids) -> list[Application]:
        wanted = _ids(ids)
        rows = db.session.scalars(
            self.scope_query(select(Application).where(Application.id.in_(wanted)))
            .options(selectinload(Application.expert))
        ).all()
        return sorted(rows, key=lambda a: a.expert.name)

    @expose("/bulk/<code>", methods=("GET", "POST"))
    def bulk_view(self, code):
        """One step, one opinion, several applications: all are checked before any changes."""
        if code not in self.BULK_STEPS:
            abort(404)
        step = review.STEPS[code]
        _require_role(*step.roles)
        ids = request.form.getlist("ids") if request.method == "POST" else request.args.get("ids", "").split(",")
        apps = self._selected(ids)
        form = OpinionForm()
        if request.method == "GET":
            form.opinion.data = step.default_opinion
        if request.method == "POST" and form.validate():
            user = current_user._get_current_object()
            try:
                if code == "shortlist":
                    review.shortlist(apps, user, form.opinion.data)
                elif code == "approve":
                    review.approve_many(apps, user, form.opinion.data)
                else:
                    verb = {"prelim_pass": review.pass_prelim, "prelim_reject": review.reject_prelim,
                            "withdraw": review.withdraw}[code]
                    review._each(apps, lambda a: review.check_step(a, code, user))
                    for a in apps:
                        verb(a, user, form.opinion.data)
            except DomainError as err:
                _refuse(err)
            else:
                _commit(f"{step.label}：{len(apps)}份申请。")
                return redirect(url_for(".candidates_view") if code in ("shortlist", "approve")
                                else url_for(".index_view"))
        return self.render("admin/lifecycle/bulk_step.html", form=form, step=step, applications=apps,
                           eligibility={a.id: review.eligibility_for(a) for a in apps})

    # -- bulk test results (第十一条(五)) --------------------------------------------------------------
    @expose("/tests/", methods=("GET", "POST"))
    def tests_view(self):
        """Enter the 综合素质测试 results of everyone who passed 初审, in one table."""
        _require_role("office")
        waiting = list(db.session.scalars(
            self.scope_query(select(Application).where(Application.state == "prelim_passed"))
            .options(selectinload(Application.expert)).join(Application.expert).order_by(Expert.name)
        ))
        chosen = set(_ids(request.args.get("ids", "").split(",")))
        values = {}
        if request.method == "POST":
            rows = []
            by_id = {a.id: a for a in waiting}
            for key in request.form:
                if not key.startswith("result-"):
                    continue
                aid = int(key.split("-", 1)[1]) if key.split("-", 1)[1].isdigit() else None
                result = request.form.get(key)
                values[aid] = {"result": result, "score": request.form.get(f"score-{aid}", ""),
                               "opinion": request.form.get(f"opinion-{aid}", "")}
                if aid not in by_id or result not in ("1", "0"):
                    continue
                rows.append((by_id[aid], result == "1", values[aid]["score"], values[aid]["opinion"]))
            try:
                review.record_test_results(rows, current_user._get_current_object())
            except DomainError as err:
                _refuse(err)
            else:
                _commit(f"已录入{len(rows)}人的综合素质测试结果。")
                return redirect(url_for(".candidates_view"))
        return self.render("admin/lifecycle/tests.html", waiting=waiting, chosen=chosen, values=values)

    # -- 拟聘名单 and the meeting (第十二条(四)) -------------------------------------------------------
    @expose("/candidates/")
    def candidates_view(self):
        """Who passed the test (to put on the list), the current 拟聘名单 (PDF; the leader
        approves here), and who is approved and waits for the 发文."""
        def in_state(state):
            return list(db.session.scalars(
                select(Application).where(Application.state == state).join(Application.expert)
                .options(selectinload(Application.expert).selectinload(Expert.groups)).order_by(Expert.name)
            ))

        passed = in_state("test_passed")
        listed = in_state("shortlisted")
        return self.render(
            "admin/lifecycle/candidates.html", passed=passed, listed=listed, approved=in_state("approved"),
            eligibility={a.id: review.eligibility_for(a) for a in passed + listed},
            role=current_role(),
        )

    @expose("/candidates.pdf")
    def candidates_pdf(self):
        """The 拟聘名单 as a PDF for the 局长办公会议."""
        listed = review.shortlisted()
        if not listed:
            flash("拟聘名单为空：请先将测试合格的人员列入拟聘名单。", "error")
            return redirect(url_for(".candidates_view"))
        name, data = documents.candidate_list_pdf(listed)
        return _pdf(name, data)

    # -- appointment 发文 (第七条) ---------------------------------------------------------------------
    @expose("/appoint/", methods=("GET", "POST"))
    def appoint_view(self):
        """One 发文 appointing the approved candidates: 届次, 文号, start date; then the 公告."""
        _require_role("office")
        approved = list(db.session.scalars(
            select(Application).where(Application.state == "approved").join(Application.expert)
            .options(selectinload(Application.expert)).order_by(Expert.name)
        ))
        form = AppointForm()
        chosen = set(_ids(request.args.get("ids", "").split(","))) or {a.id for a in approved}
        if request.method == "GET":
            form.cohort.data = term_service.current_cohort() or 1
            form.start_date.data = dt.date.today()
        if request.method == "POST":
            chosen = set(_ids(request.form.getlist("ids")))
            if form.validate():
                picked = [a for a in approved if a.id in chosen]
                try:
                    new_terms = review.appoint_many(picked, current_user._get_current_object(),
                                                    cohort=form.cohort.data, doc_no=form.doc_no.data or "",
                                                    start_date=form.start_date.data)
                except DomainError as err:
                    _refuse(err)
                else:
                    _commit(f"已聘任{len(new_terms)}人，发文文号{form.doc_no.data}；请起草并发布聘任公告。")
                    return redirect(url_for("term.index_view", search=form.doc_no.data))
        return self.render("admin/lifecycle/appoint.html", form=form, approved=approved, chosen=chosen)

    # -- printed 附件2 ---------------------------------------------------------------------------
    @expose("/registration/<int:expert_id>")
    def registration_pdf(self, expert_id):
        """附件2 filled from the record, named 姓名+从事的行业 (masked for roles that may not
        see ID numbers and phones)."""
        expert = db.session.get(Expert, expert_id) or abort(404)
        latest = db.session.scalar(
            select(Application).where(Application.expert_id == expert.id).order_by(Application.id.desc()).limit(1)
        )
        name, data = documents.registration_form_pdf(expert, latest, masked=not sees_unmasked(current_role()))
        return _pdf(name, data)


# --- Term ----------------------------------------------------------------------------------------------


def term_state(view, context, model, name):
    today = dt.date.today()
    if model.ended_on is not None and model.ended_on <= today:
        return "已终止"
    if model.start_date > today:
        return "未开始"
    if model.end_date < today:
        return "已届满"
    left = (model.end_date - today).days
    return f"在聘（{left}天后到期）" if left <= 90 else "在聘"


class TermView(SecuredModelView):
    """聘期: terms come only from an appointment; renewal, 换届 and the list of terms ending."""

    column_list = ("expert", "cohort", "doc_no", "start_date", "end_date", "ended_on", "announced_on",
                   "is_renewal", "term_state")
    column_labels = {
        "expert": "专家", "expert.name": "专家姓名", "cohort": "届次", "doc_no": "发文文号", "start_date": "起始日期",
        "end_date": "届满日期", "ended_on": "提前终止日期", "announced_on": "公告日期", "is_renewal": "续聘",
        "term_state": "聘期状态",
    }
    column_formatters = {"is_renewal": yes_no, "term_state": term_state}
    column_formatters_export = column_formatters
    column_details_list = column_list
    column_export_list = column_list
    column_filters = ("doc_no", "cohort", "end_date", "is_renewal", "expert.name")
    column_searchable_list = ("expert.name", "doc_no")
    column_sortable_list = ("cohort", "doc_no", "start_date", "end_date", ("expert", "expert.name"))
    column_default_sort = ("end_date", False)
    column_auto_select_related = False
    form_columns = ("doc_no",)
    list_template = "admin/lifecycle/term_list.html"

    def _can(self, action_name):
        if action_name in ("create", "delete"):
            return False  # a term is made by an appointment, never typed in
        if action_name == "edit":
            return current_role() == "office" and super()._can(action_name)
        return super()._can(action_name)

    actions_need_edit = False  # each action checks its own right in is_action_allowed

    def is_action_allowed(self, name):
        # Flask-Admin's built-in bulk 'delete' follows the delete right; the others are the office's
        if name == "delete":
            return self.can_delete
        return current_role() == "office" and name in dict(self._actions)

    def get_query(self):
        return super().get_query().options(selectinload(Term.expert))

    def scope_query(self, query):
        if current_role() == "expert":
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def on_model_change(self, form, model, is_created):
        term_service.check_term_fields(model.cohort, model.doc_no, model.start_date)

    def get_list_row_actions(self):
        actions = list(super().get_list_row_actions())
        if current_role() == "office":
            actions.append(EndpointLinkRowAction("fa fa-redo", ".renew_view", title="续聘", id_arg="id"))
        return actions

    @action("announce", "起草聘任公告")
    def action_announce(self, ids):
        rows = db.session.scalars(
            select(Term).where(Term.id.in_(_ids(ids))).options(selectinload(Term.expert).selectinload(Expert.groups))
        ).all()
        try:
            ann = announcement_service.create_appointment_announcement(rows, current_user._get_current_object())
        except DomainError as err:
            _refuse(err)
            return redirect(url_for(".index_view"))
        _commit("已起草聘任公告，请核对后发布。")
        return redirect(url_for("announcement.details_view", id=ann.id))

    @expose("/ending/")
    def ending_view(self):
        """Terms ending within 30 and 90 days (第六条), with the renewal link."""
        return self.render("admin/lifecycle/terms_ending.html", within_30=term_service.terms_ending(30),
                           within_90=term_service.terms_ending(90), role=current_role(),
                           today=dt.date.today())

    @expose("/renew/", methods=("GET", "POST"))
    def renew_view(self):
        """续聘 of one expert: the conditions are checked again today (第六、十一条)."""
        _require_role("office")
        term = _one_or_404(self, request.args.get("id"))
        expert = term.expert
        latest = term_service.latest_term(expert)
        form = RenewForm()
        if request.method == "GET":
            form.start_date.data = term_service.last_day(latest) + dt.timedelta(days=1)
            form.cohort.data = latest.cohort + 1
        if request.method == "POST" and form.validate():
            try:
                new = term_service.renew_term(
                    expert, actor=current_user._get_current_object(), doc_no=form.doc_no.data or "",
                    start_date=form.start_date.data, cohort=form.cohort.data,
                    age_override_reason=(form.age_override_reason.data or "").strip() or None,
                )
            except DomainError as err:
                _refuse(err)
            else:
                _commit(f"{expert.name}已续聘为第{new.cohort}届专家，聘期{new.start_date}至{new.end_date}。"
                        "请登记本届承诺书并起草聘任公告。")
                return redirect(url_for(".index_view", search=expert.name))
        return self.render("admin/lifecycle/renew.html", form=form, term=latest, expert=expert,
                           eligibility=eligibility_of(expert))

    @expose("/cohort/", methods=("GET", "POST"))
    def cohort_view(self):
        """换届: renew the chosen members of a 届 into the next one and end the others."""
        _require_role("office")
        cohorts = sorted(set(db.session.scalars(select(Term.cohort).distinct())), reverse=True)
        try:
            cohort = int(request.values.get("cohort") or (cohorts[0] if cohorts else 0))
        except ValueError:
            cohort = 0
        members = term_service.cohort_members(cohort) if cohort else []
        eligibility = {t.expert_id: eligibility_of(t.expert) for t in members}
        values = {"doc_no": "", "start_date": "", "renew": {t.expert_id for t in members
                                                             if eligibility[t.expert_id].eligible}}
        if members:
            # the 届 began when most of its terms began; the next one begins three years on (第六条)
            starts = Counter(t.start_date for t in members)
            began = min(starts, key=lambda day: (-starts[day], day))
            values["start_date"] = (term_service.term_end(began, term_service.term_years())
                                    + dt.timedelta(days=1)).isoformat()
        if request.method == "POST":
            values = {"doc_no": request.form.get("doc_no", ""), "start_date": request.form.get("start_date", ""),
                      "renew": set(_ids(request.form.getlist("renew")))}
            overrides = {t.expert_id: request.form.get(f"age-{t.expert_id}", "").strip() for t in members
                         if request.form.get(f"age-{t.expert_id}", "").strip()}
            try:
                result = term_service.change_cohort(
                    cohort, renew_expert_ids=values["renew"], actor=current_user._get_current_object(),
                    doc_no=values["doc_no"], start_date=_date_or_none(values["start_date"]), age_overrides=overrides,
                )
            except DomainError as err:
                _refuse(err)
            else:
                _commit(f"第{cohort}届换届完成：续聘{len(result.renewed)}人，"
                        f"{len(result.ended)}人任期届满未续聘，已列入拟解聘名单（第十三条（二）），待局领导批准。")
                return redirect(url_for(".index_view", search=values["doc_no"]))
        return self.render("admin/lifecycle/cohort.html", cohorts=cohorts, cohort=cohort, members=members,
                           eligibility=eligibility, values=values)


# --- CommitmentLetter ------------------------------------------------------------------------------


class CommitmentLetterView(SecuredModelView):
    """承诺书 (附件1): the pre-filled PDF to sign, the signing date and the signed scan."""

    column_list = ("expert", "term", "signed_on", "scan_path", "created_at")
    column_labels = {"expert": "专家", "expert.name": "专家姓名", "term": "聘期", "signed_on": "签署日期",
                     "scan_path": "签字扫描件", "created_at": "登记时间", "scan": "签字扫描件"}
    column_details_list = column_list
    column_export_list = ("expert", "term", "signed_on", "created_at")
    column_searchable_list = ("expert.name",)
    column_filters = ("signed_on", "expert.name")
    column_default_sort = ("signed_on", True)
    column_auto_select_related = False
    form_columns = ("expert", "signed_on", "scan")
    form_extra_fields = {"scan": FileField("签字扫描件", description="签字后的承诺书扫描件，JPEG、PNG或PDF，不超过10MB。")}
    form_args = {"expert": {"validators": [validators.required("请选择专家")]},
                 "signed_on": {"validators": [validators.required("请填写签署日期"), validators.not_in_future]}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}

    def _scan_link(view, context, model, name):
        if not model.scan_path:
            return Markup('<span class="text-muted">未上传</span>')
        return Markup(f'<a href="{escape(url_for(".scan_view", id=model.id))}" target="_blank">查看扫描件</a>')

    column_formatters = {"created_at": local_time, "scan_path": _scan_link}
    column_formatters_export = {"created_at": local_time}

    def _can(self, action_name):
        if action_name in ("create", "edit"):
            return current_role() in term_service.LETTER_ROLES and super()._can(action_name)
        return super()._can(action_name)

    def get_query(self):
        return super().get_query().options(selectinload(CommitmentLetter.expert))

    def scope_query(self, query):
        if current_role() == "expert":
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def create_form(self, obj=None):
        form = super().create_form(obj)
        expert_id = request.args.get("expert_id", "")
        if request.method == "GET" and expert_id.isdigit():
            form.expert.data = db.session.get(Expert, int(expert_id))
            form.signed_on.data = dt.date.today()
        return form

    def create_model(self, form):
        """Through the service: the letter joins the current term and the timeline."""
        try:
            letter = term_service.record_commitment(
                form.expert.data, signed_on=form.signed_on.data, actor=current_user._get_current_object(),
                scan=_upload_bytes(form.scan.data),
            )
            db.session.commit()
        except DomainError as err:
            _refuse(err)
            return False
        self.after_model_change(form, letter, True)
        return letter

    def update_model(self, form, model):
        """Only the scan is replaced; the date and the expert stay as recorded."""
        try:
            data = _upload_bytes(form.scan.data)
            if data:
                term_service.attach_commitment_scan(model, data, current_user._get_current_object())
            db.session.commit()
        except DomainError as err:
            _refuse(err)
            return False
        return True

    def edit_form(self, obj=None):
        # the expert and the signing date stay as recorded: only the scan is offered
        form = super().edit_form(obj)
        del form.expert
        del form.signed_on
        return form

    @expose("/blank/<int:expert_id>")
    def blank_pdf(self, expert_id):
        """附件1 pre-filled with the expert's name, to print and sign."""
        if current_role() == "expert" and current_user.expert_id != expert_id:
            abort(403)
        expert = db.session.get(Expert, expert_id) or abort(404)
        name, data = documents.commitment_letter_pdf(expert)
        return _pdf(name, data)

    @expose("/scan/<int:id>")
    def scan_view(self, id):
        """The signed scan."""
        letter = _one_or_404(self, id)
        if not letter.scan_path:
            abort(404)
        data = read_upload(letter.scan_path)
        if data is None:
            abort(404)
        mime = "application/pdf" if data.startswith(b"%PDF") else "image/jpeg"
        return send_file(io.BytesIO(data), mimetype=mime, download_name=f"承诺书-{letter.expert.name}"
                         + (".pdf" if mime == "application/pdf" else ".jpg"))


# --- Dismissal -----------------------------------------------------------------------------------------


class DismissalView(SecuredModelView):
    """解聘 (第十三条): the proposal list (by 基础科 and by rules); a leader approves or rejects."""

    column_list = ("expert", "reason", "origin", "state", "proposed_at", "effective_on", "decision_note",
                   "announcement_id")
    column_labels = {
        "expert": "专家", "expert.name": "专家姓名", "reason": "解聘理由（第十三条）", "origin": "提出方式",
        "state": "状态", "detail": "事实和依据", "proposed_at": "提出时间", "decided_at": "审批时间",
        "decision_note": "审批意见", "effective_on": "生效日期", "announcement_id": "公告",
        "proposed_by": "提出人", "decided_by": "审批人",
    }
    column_details_list = ("expert", "reason", "origin", "detail", "state", "proposed_at", "decided_at",
                           "decision_note", "effective_on", "announcement_id")
    column_export_list = column_details_list

    def _announced(view, context, model, name):
        if not model.announcement_id:
            return "待公告" if model.state == "approved" else ""
        return Markup(f'<a href="{escape(url_for("announcement.details_view", id=model.announcement_id))}">已编入公告</a>')

    column_formatters = {
        "reason": choice(DISMISSAL_REASONS), "origin": choice(DISMISSAL_ORIGINS), "state": choice(DISMISSAL_STATES),
        "proposed_at": local_time, "decided_at": local_time, "announcement_id": _announced,
    }
    column_formatters_export = {k: v for k, v in column_formatters.items() if k != "announcement_id"}
    column_filters = (
        FilterEqual(Dismissal.state, "状态", options=list(DISMISSAL_STATES.items())),
        FilterEqual(Dismissal.reason, "解聘理由", options=[(k, dismissal_service.reason_text(k)) for k in DISMISSAL_REASONS]),
        FilterEqual(Dismissal.origin, "提出方式", options=list(DISMISSAL_ORIGINS.items())),
    )
    column_searchable_list = ("expert.name",)
    column_sortable_list = ("state", "proposed_at", "effective_on", ("expert", "expert.name"))
    column_default_sort = [("state", True), ("proposed_at", False)]
    column_auto_select_related = False
    form_columns = ("expert", "reason", "detail")
    form_choices = {"reason": [(k, dismissal_service.reason_text(k)) for k in DISMISSAL_REASONS]}
    form_args = {"expert": {"validators": [validators.required("请选择专家")]},
                 "detail": {"validators": [validators.required("请写明提出解聘的事实和依据")]}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}
    form_widget_args = {"detail": {"rows": 4}}
    details_template = "admin/lifecycle/dismissal_details.html"
    list_template = "admin/lifecycle/dismissal_list.html"

    actions_need_edit = False  # each action checks its own right in is_action_allowed

    def is_action_allowed(self, name):
        # Flask-Admin's built-in bulk 'delete' follows the delete right; the others are the office's
        if name == "delete":
            return self.can_delete
        return current_role() == "office" and name in dict(self._actions)

    def get_query(self):
        return super().get_query().options(selectinload(Dismissal.expert))

    def get_list_row_actions(self):
        actions = list(super().get_list_row_actions())
        if current_role() == "leader":
            actions.append(EndpointLinkRowAction("fa fa-gavel", ".decide_view", title="审批", id_arg="id"))
        return actions

    def edit_form(self, obj=None):
        # the expert and the reason stay as proposed: only the facts may be amended
        form = super().edit_form(obj)
        del form.expert
        del form.reason
        return form

    def create_form(self, obj=None):
        form = super().create_form(obj)
        expert_id = request.args.get("expert_id", "")
        if request.method == "GET" and expert_id.isdigit():
            form.expert.data = db.session.get(Expert, int(expert_id))
        return form

    def create_model(self, form):
        try:
            proposal = dismissal_service.propose_by_office(form.expert.data, form.reason.data, form.detail.data,
                                                           current_user._get_current_object())
            db.session.commit()
        except DomainError as err:
            _refuse(err)
            return False
        self.after_model_change(form, proposal, True)
        return proposal

    def update_model(self, form, model):
        """Only the facts of a pending proposal may be amended."""
        if model.state != "proposed":
            flash("已审批的解聘记录不能修改。", "error")
            return False
        if hasattr(form, "version") and (form.version.data or "").strip() != str(model.version):
            flash(STALE_MESSAGE, "error")
            return False
        if not (form.detail.data or "").strip():
            flash("请写明提出解聘的事实和依据。", "error")
            return False
        model.detail = form.detail.data.strip()
        db.session.commit()
        return True

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(role=current_role(), fmt_time=fmt_time)
        return super().render(template, **kwargs)

    @expose("/decide/", methods=("GET", "POST"))
    def decide_view(self):
        """The leader's decision: approve (effective date, opinion) or reject (reason)."""
        _require_role("leader")
        dismissal = _one_or_404(self, request.values.get("id"))
        form = DecideForm()
        if request.method == "GET":
            form.effective_on.data = dt.date.today()
            form.decision.data = "approve"
        if request.method == "POST" and form.validate():
            user = current_user._get_current_object()
            try:
                if form.decision.data == "approve":
                    dismissal_service.approve_dismissal(dismissal, user, effective_on=form.effective_on.data,
                                                        note=form.note.data)
                elif form.decision.data == "reject":
                    dismissal_service.reject_dismissal(dismissal, user, form.note.data)
                else:
                    raise DomainError("请选择批准解聘或不予解聘。")
            except DomainError as err:
                _refuse(err)
            else:
                _commit(f"{dismissal.expert.name}：{dismissal.state_label}。"
                        + ("工作证已作废，已停止选派；请基础科起草解聘公告。" if dismissal.state == "approved" else ""))
                return redirect(url_for(".details_view", id=dismissal.id))
        return self.render("admin/lifecycle/dismissal_decide.html", form=form, dismissal=dismissal,
                           permit=current_permit(dismissal.expert), fmt_time=fmt_time)

    @action("announce", "起草解聘公告")
    def action_announce(self, ids):
        rows = db.session.scalars(
            select(Dismissal).where(Dismissal.id.in_(_ids(ids)))
            .options(selectinload(Dismissal.expert).selectinload(Expert.groups))
        ).all()
        try:
            ann = announcement_service.create_dismissal_announcement(rows, current_user._get_current_object())
        except DomainError as err:
            _refuse(err)
            return redirect(url_for(".index_view"))
        _commit("已起草解聘公告，请核对后发布。")
        return redirect(url_for("announcement.details_view", id=ann.id))


# --- Announcement ---------------------------------------------------------------------------------


class AnnouncementView(SecuredModelView):
    """公告: drafts from appointments and dismissals, edited and published by 基础科; the PDF."""

    list_template = "admin/lifecycle/announcement_list.html"
    column_list = ("kind", "title", "doc_no", "entry_count", "published", "published_on", "created_at")
    column_labels = {"kind": "类别", "title": "标题", "doc_no": "文号", "body": "正文", "entry_count": "人数",
                     "published": "已发布", "published_on": "发布日期", "created_at": "起草时间", "entries": "名单"}
    column_formatters = {
        "kind": choice(ANNOUNCEMENT_KINDS), "published": yes_no, "created_at": local_time,
        "entry_count": lambda v, c, m, n: len(m.entries),
    }
    column_formatters_export = column_formatters
    column_details_list = ("kind", "title", "doc_no", "body", "published", "published_on", "created_at")
    column_export_list = ("kind", "title", "doc_no", "entry_count", "published", "published_on")
    column_filters = (FilterEqual(Announcement.kind, "类别", options=list(ANNOUNCEMENT_KINDS.items())), "published",
                      "published_on")
    column_searchable_list = ("title", "doc_no")
    column_default_sort = ("created_at", True)
    column_auto_select_related = False
    form_columns = ("kind", "title", "doc_no", "body")
    form_choices = {"kind": list(ANNOUNCEMENT_KINDS.items())}
    form_args = {"title": {"validators": [validators.required("请填写公告标题")]},
                 "body": {"validators": [validators.required("请填写公告正文")]}}
    form_widget_args = {"body": {"rows": 8}}
    details_template = "admin/lifecycle/announcement_details.html"

    def _can(self, action_name):
        if action_name in ("create", "edit"):
            return current_role() == "office" and super()._can(action_name)
        return super()._can(action_name)

    def get_query(self):
        return super().get_query().options(selectinload(Announcement.entries))

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        del form.kind  # an appointment announcement stays one
        return form

    def update_model(self, form, model):
        try:
            announcement_service.update_draft(model, current_user._get_current_object(), title=form.title.data,
                                              doc_no=form.doc_no.data, body=form.body.data)
            db.session.commit()
        except DomainError as err:
            _refuse(err)
            return False
        return True

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by_id = current_user.id
            model.published = False

    def on_model_delete(self, model):
        if model.published:
            raise DomainError("已发布的公告不能删除。")
        for d in db.session.scalars(select(Dismissal).where(Dismissal.announcement_id == model.id)):
            d.announcement_id = None

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(role=current_role())
        return super().render(template, **kwargs)

    @expose("/publish/", methods=("POST",))
    def publish_view(self):
        """Publish a draft (基础科): it appears on the public 公告 page."""
        _require_role("office")
        ann = _one_or_404(self, request.form.get("id"))
        try:
            announcement_service.publish_announcement(ann, current_user._get_current_object())
        except DomainError as err:
            _refuse(err)
        else:
            _commit(f"已发布：{ann.title}")
        return redirect(url_for(".details_view", id=ann.id))

    @expose("/pdf/<int:id>")
    def pdf_view(self, id):
        """The 公告 as a PDF (a draft says so in its title)."""
        ann = _one_or_404(self, id)
        name, data = documents.announcement_pdf(ann)
        return _pdf(name, data)


def register(admin):
    """Add the lifecycle views; expose the expert page's lifecycle data to its panels."""
    admin.add_view(ApplicationView(Application, db, name="申请与评审", category=LIFECYCLE, endpoint="application"))
    admin.add_view(TermView(Term, db, name="聘期", category=LIFECYCLE, endpoint="term"))
    admin.add_view(CommitmentLetterView(CommitmentLetter, db, name="承诺书", category=LIFECYCLE,
                                        endpoint="commitment_letter"))
    admin.add_view(DismissalView(Dismissal, db, name="解聘", category=LIFECYCLE, endpoint="dismissal"))
    admin.add_view(AnnouncementView(Announcement, db, name="公告", category=LIFECYCLE, endpoint="announcement"))
    admin.app.add_template_global(lifecycle_panel, "lifecycle_panel")
    admin.app.add_template_global(can, "lifecycle_can")
    admin.app.add_template_global(fmt_time, "lifecycle_time")
    admin.app.add_template_global(dismissal_service.reason_text, "dismissal_reason_text")
