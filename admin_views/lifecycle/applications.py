"""申请与评审 (第十一、十二条): entering a recommendation (附件2), a new application for
an expert on record, one page per review step, bulk pages for the test results, the
拟聘名单 and the appointment 发文, and the printed 附件2."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_login import current_user
from flask_wtf import FlaskForm
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

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import choice, fmt_time, linked, local_time, yes_no
from admin_views.helpers import inline_pdf, int_ids, one_or_404, require_role, run
from admin_views.lifecycle import OfficeStepActions
from app import clock, validators
from app.auth.rights import allowed, sees_unmasked
from app.extensions import db
from app.form_choices import options
from app.public.apply_forms import SelfRecommendationForm
from app.services.errors import DomainError
from app.services.lifecycle import announcements as announcement_service
from app.services.lifecycle import documents, intake, review
from app.services.lifecycle import terms as term_service
from models import Application, Expert, OrgUnit
from models.choices import APPLICATION_CHANNELS, APPLICATION_STATES, TOWN_LEVEL_KINDS


def recommending_units() -> list[OrgUnit]:
    """Units that may recommend (第十二条(一)): towns, sections, brigades."""
    return list(db.session.scalars(
        select(OrgUnit).where(OrgUnit.active.is_(True), OrgUnit.kind.in_(TOWN_LEVEL_KINDS + ("section", "brigade")))
        .order_by(OrgUnit.kind, OrgUnit.name)
    ))


def unit_choices() -> list[tuple[str, str]]:
    return [("", "（不适用）")] + [(str(u.id), f"{u.name}（{u.kind_label}）") for u in recommending_units()]


# --- forms ------------------------------------------------------------------------------------


CHANNEL_CHOICES = list(APPLICATION_CHANNELS.items())  # Flask-Admin filters and form_choices take tuples


class ChannelFields:
    """推荐渠道 and the recommending unit's opinion, contact person and phone (附件2 填表说明11)."""

    channel = SelectField("推荐渠道", choices=options(APPLICATION_CHANNELS), default="town")
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
    result = RadioField("测试结果", choices=options([("1", "合格"), ("0", "不合格")]))
    score = StringField("测试成绩（分）", render_kw={"inputmode": "decimal", "placeholder": "0–100，可不填"})
    opinion = TextAreaField("说明", validators=[Length(max=2000, message="说明不能超过2000字")], render_kw={"rows": 3})


class AppointForm(FlaskForm):
    cohort = IntegerField("届次", validators=[NumberRange(min=1, max=99, message="届次须为1到99之间的整数")])
    doc_no = StringField("聘任发文文号", validators=[Length(max=50, message="发文文号不能超过50个字符")],
                         render_kw={"placeholder": "例：武应急〔2026〕12号"})
    start_date = DateField("聘期起始日期", format="%Y-%m-%d")


class AgeOverrideForm(FlaskForm):
    reason = TextAreaField(
        "特批理由", validators=[Length(max=1000, message="理由不能超过1000字")], render_kw={"rows": 3}
    )


# --- Application ------------------------------------------------------------------------------------


class ApplicationView(OfficeStepActions, SecuredModelView):
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
                can_override=allowed(current_role(), "application", "review") and model.state in review.OPEN_STATES,
            )
        return super().render(template, **kwargs)

    def _application(self, id) -> Application:
        return one_or_404(self, id)

    # -- entering a recommendation (第十二条(一)(二)) ----------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """录入推荐: the 附件2 of a recommended person with the channel, unit, opinion, contact and phone."""
        require_role("office")
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
                intake.commit_intake(application)
                flash(f"已录入{application.expert.name}的推荐，回执编号 {application.receipt_no}。", "success")
                return redirect(url_for(".details_view", id=application.id))
        return self.render("admin/lifecycle/recommend.html", form=form, submitted=request.method == "POST",
                           summary=form.error_summary() if request.method == "POST" else [])

    @expose("/reapply/<int:expert_id>", methods=("GET", "POST"))
    def reapply_view(self, expert_id):
        """A new application (or a renewal) for an expert already on record."""
        require_role("office")
        expert = db.session.get(Expert, expert_id) or abort(404)
        form = ReapplyForm()
        if request.method == "GET":
            form.is_renewal.data = bool(expert.terms)
            form.recommending_unit_name.data = expert.employer
        if request.method == "POST" and form.validate():
            unit = db.session.get(OrgUnit, int(form.recommending_unit.data)) if form.recommending_unit.data else None
            application, ok = run(
                lambda: review.open_application(
                    expert, channel=form.channel.data, actor=current_user, recommending_unit=unit,
                    recommending_unit_name=form.recommending_unit_name.data, opinion=form.recommender_opinion.data,
                    contact=form.recommender_contact.data, phone=form.recommender_phone.data,
                    is_renewal=bool(form.is_renewal.data),
                ),
                lambda application: f"已为{expert.name}新建申请 {application.receipt_no}。",
            )
            if ok:
                return redirect(url_for(".details_view", id=application.id))
        return self.render("admin/lifecycle/reapply.html", form=form, expert=expert)

    # -- one step on one application ---------------------------------------------------------------
    @expose("/step/<int:id>/<code>", methods=("GET", "POST"))
    def step_view(self, id, code):
        """The form of one step: opinion, or the test result, or the appointment 发文."""
        if code not in review.STEPS:
            abort(404)
        step = review.STEPS[code]
        require_role(*step.roles)
        application = self._application(id)
        form = {"test": TestResultForm, "appoint": AppointForm}.get(code, OpinionForm)()
        if request.method == "GET":
            if code == "appoint":
                form.cohort.data = term_service.current_cohort() or 1
                form.start_date.data = clock.today()
            elif code == "direct" and application.direct_proposal and review.direct_pending(application):
                form.opinion.data = f"同意基础科提请：{application.direct_proposal}"
            elif isinstance(form, OpinionForm):
                form.opinion.data = step.default_opinion
        if request.method == "POST" and form.validate():
            _, ok = run(lambda: self._take_step(application, code, form), f"{application.expert.name}：{step.label}。")
            if ok:
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
        elif code == "propose_direct":
            review.propose_direct(application, user, form.opinion.data)
        elif code == "decline_direct":
            review.decline_direct(application, user, form.opinion.data)
        elif code == "withdraw":
            review.withdraw(application, user, form.opinion.data)
        elif code == "appoint":
            review.appoint(application, user, cohort=form.cohort.data, doc_no=form.doc_no.data or "",
                           start_date=form.start_date.data)

    @expose("/age-override/<int:id>", methods=("GET", "POST"))
    def age_override_view(self, id):
        """基础科's written override of the age rule (第十一条(六) 原则上)."""
        require_role("office")
        application = self._application(id)
        form = AgeOverrideForm()
        if request.method == "POST" and form.validate():
            _, ok = run(lambda: review.override_age(application, current_user._get_current_object(), form.reason.data),
                        f"已对{application.expert.name}的年龄条件作出特批。")
            if ok:
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
        wanted = int_ids(ids)
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
        require_role(*step.roles)
        ids = request.form.getlist("ids") if request.method == "POST" else request.args.get("ids", "").split(",")
        apps = self._selected(ids)
        form = OpinionForm()
        if request.method == "GET":
            form.opinion.data = step.default_opinion
        if request.method == "POST" and form.validate():
            user = current_user._get_current_object()

            def take_steps():
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

            _, ok = run(take_steps, f"{step.label}：{len(apps)}份申请。")
            if ok:
                return redirect(url_for(".candidates_view") if code in ("shortlist", "approve")
                                else url_for(".index_view"))
        return self.render("admin/lifecycle/bulk_step.html", form=form, step=step, applications=apps,
                           eligibility={a.id: review.eligibility_for(a) for a in apps})

    # -- bulk test results (第十一条(五)) --------------------------------------------------------------
    @expose("/tests/", methods=("GET", "POST"))
    def tests_view(self):
        """Enter the 综合素质测试 results of everyone who passed 初审, in one table."""
        require_role("office")
        waiting = list(db.session.scalars(
            self.scope_query(select(Application).where(Application.state == "prelim_passed"))
            .options(selectinload(Application.expert)).join(Application.expert).order_by(Expert.name)
        ))
        chosen = set(int_ids(request.args.get("ids", "").split(",")))
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
            _, ok = run(lambda: review.record_test_results(rows, current_user._get_current_object()),
                        f"已录入{len(rows)}人的综合素质测试结果。")
            if ok:
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

    @expose("/candidates/decide/", methods=("POST",))
    def decide_view(self):
        """The leader's decision on the 拟聘名单 (第十二条(四)), in two steps: the list page
        posts each candidate's choice (none is preset), this page lists who will be approved
        and who refused with their counts, and only its confirmation saves anything."""
        require_role("leader")
        listed = {a.id: a for a in review.shortlisted()}
        saving = request.form.get("stage") == "save"
        if saving:
            approve_ids = set(int_ids(request.form.getlist("approve")))
            reject_ids = set(int_ids(request.form.getlist("reject")))
        else:
            approve_ids = {i for i in listed if request.form.get(f"decision-{i}") == "approve"}
            reject_ids = {i for i in listed if request.form.get(f"decision-{i}") == "reject"}
        approving = [listed[i] for i in sorted(approve_ids - reject_ids, key=lambda i: listed[i].expert.name)
                     if i in listed]
        refusing = [listed[i] for i in sorted(reject_ids - approve_ids, key=lambda i: listed[i].expert.name)
                    if i in listed]
        if not approving and not refusing:
            flash("未作任何修改：请对至少一名候选人选择“审定通过”或“审定不通过”。", "error")
            return redirect(url_for(".candidates_view"))
        opinion = request.form.get("opinion", review.STEPS["approve"].default_opinion)
        reason = request.form.get("reason", "")
        if saving:
            user = current_user._get_current_object()

            def decide():
                if refusing and not reason.strip():
                    raise DomainError("审定不通过须填写理由。")
                review._each(refusing, lambda a: review.check_step(a, "reject", user)) if refusing else None
                if approving:
                    review.approve_many(approving, user, opinion)
                for application in refusing:
                    review.reject(application, user, reason)

            parts = []
            if approving:
                parts.append(f"审定通过{len(approving)}人：" + "、".join(a.expert.name for a in approving))
            if refusing:
                parts.append(f"审定不通过{len(refusing)}人：" + "、".join(a.expert.name for a in refusing))
            _, ok = run(decide, "；".join(parts) + "。")
            if ok:
                return redirect(url_for(".candidates_view"))
        undecided = [a for i, a in sorted(listed.items(), key=lambda kv: kv[1].expert.name)
                     if i not in approve_ids and i not in reject_ids]
        return self.render("admin/lifecycle/decide_confirm.html", approving=approving, refusing=refusing,
                           undecided=undecided, opinion=opinion, reason=reason)

    @expose("/candidates.pdf")
    def candidates_pdf(self):
        """The 拟聘名单 as a PDF for the 局长办公会议."""
        listed = review.shortlisted()
        if not listed:
            flash("拟聘名单为空：请先将测试合格的人员列入拟聘名单。", "error")
            return redirect(url_for(".candidates_view"))
        name, data = documents.candidate_list_pdf(listed)
        return inline_pdf(name, data)

    # -- appointment 发文 (第七条) ---------------------------------------------------------------------
    @expose("/appoint/", methods=("GET", "POST"))
    def appoint_view(self):
        """One 发文 appointing the approved candidates: 届次, 文号, start date; then the 公告."""
        require_role("office")
        approved = list(db.session.scalars(
            select(Application).where(Application.state == "approved").join(Application.expert)
            .options(selectinload(Application.expert)).order_by(Expert.name)
        ))
        form = AppointForm()
        # nobody is ticked in advance: the office chooses whom this 发文 appoints
        chosen = set(int_ids(request.args.get("ids", "").split(",")))
        if request.method == "GET":
            form.cohort.data = term_service.current_cohort() or 1
            form.start_date.data = clock.today()
        if request.method == "POST":
            chosen = set(int_ids(request.form.getlist("ids")))
            if form.validate():
                picked = [a for a in approved if a.id in chosen]
                user = current_user._get_current_object()
                draft = request.form.get("then") == "announce"
                def appoint():
                    new_terms = review.appoint_many(picked, user, cohort=form.cohort.data,
                                                    doc_no=form.doc_no.data or "", start_date=form.start_date.data)
                    ann = announcement_service.create_appointment_announcement(new_terms, user) if draft else None
                    return new_terms, ann

                def appointed(result):
                    new_terms, ann = result
                    names = "、".join(t.expert.name for t in new_terms)
                    done = f"已聘任{len(new_terms)}人（{names}），发文文号{form.doc_no.data}，工作证已制作。"
                    if ann is not None:
                        return linked(done + "聘任公告已起草，请核对后发布。",
                                      url_for("announcement.details_view", id=ann.id), "查看公告草稿")
                    return linked(done + "聘任公告尚未起草：请在聘期列表中勾选后选择“起草聘任公告”。",
                                  url_for("term.index_view", search=form.doc_no.data), "打开聘期列表")

                result, ok = run(appoint, appointed)
                if ok:
                    ann = result[1]
                    if ann is not None:
                        return redirect(url_for("announcement.details_view", id=ann.id))
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
        return inline_pdf(name, data)
