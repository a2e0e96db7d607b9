"""聘期 (第六、七条) and 承诺书 (附件1): terms come only from an appointment; renewal,
换届 and the list of terms ending; the commitment letter to print, sign and scan."""
from __future__ import annotations

import datetime as dt
import io
from collections import Counter

from flask import abort, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField, FileField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange
from wtforms.validators import Optional as OptionalValidator

from admin_views.base import SecuredModelView, current_role
from admin_views.formatters import linked, local_time, yes_no
from admin_views.helpers import inline_pdf, int_ids, one_or_404, refuse, require_role, run
from admin_views.lifecycle import OfficeStepActions
from app import clock, validators
from app.auth.rights import allowed, is_expert_self
from app.extensions import db
from app.services.errors import DomainError
from app.services.lifecycle import announcements as announcement_service
from app.services.lifecycle import documents
from app.services.lifecycle import terms as term_service
from app.services.lifecycle.eligibility import eligibility_of
from app.services.status import last_day
from app.services.uploads import read_upload
from models import CommitmentLetter, Expert, Term

MAX_UPLOAD = 10 * 1024 * 1024


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


class RenewForm(FlaskForm):
    doc_no = StringField("续聘发文文号", validators=[Length(max=50, message="发文文号不能超过50个字符")],
                         render_kw={"placeholder": "例：武应急〔2027〕3号"})
    start_date = DateField("新聘期起始日期", format="%Y-%m-%d", validators=[OptionalValidator()])
    cohort = IntegerField("届次", validators=[OptionalValidator(), NumberRange(min=1, max=99, message="届次须为1到99")])
    age_override_reason = TextAreaField(
        "年龄特批理由（超过65周岁时填写）",
        validators=[Length(max=1000, message="理由不能超过1000字")],
        render_kw={"rows": 2},
    )


# --- Term ----------------------------------------------------------------------------------------------


def term_state(view, context, model, name):
    today = clock.today()
    if model.ended_on is not None and model.ended_on <= today:
        return "已终止"
    if model.start_date > today:
        return "未开始"
    if model.end_date < today:
        return "已届满"
    left = (model.end_date - today).days
    return f"在聘（{left}天后到期）" if left <= 90 else "在聘"


class TermView(OfficeStepActions, SecuredModelView):
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
        return super()._can(action_name)

    def get_query(self):
        return super().get_query().options(selectinload(Term.expert))

    def scope_query(self, query):
        if is_expert_self(current_role()):
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def on_model_change(self, form, model, is_created):
        term_service.check_term_fields(model.cohort, model.doc_no, model.start_date)

    def get_list_row_actions(self):
        actions = list(super().get_list_row_actions())
        if allowed(current_role(), "term", "renew"):
            actions.append(EndpointLinkRowAction("fa fa-redo", ".renew_view", title="续聘", id_arg="id"))
        return actions

    @action("announce", "起草聘任公告")
    def action_announce(self, ids):
        rows = db.session.scalars(
            select(Term).where(Term.id.in_(int_ids(ids))).options(selectinload(Term.expert).selectinload(Expert.groups))
        ).all()
        user = current_user._get_current_object()
        ann, ok = run(lambda: announcement_service.create_appointment_announcement(rows, user),
                      lambda ann: linked("已起草聘任公告，请核对后发布。",
                                         url_for("announcement.details_view", id=ann.id), "查看公告"))
        if not ok:
            return redirect(url_for(".index_view"))
        return redirect(url_for("announcement.details_view", id=ann.id))

    @expose("/ending/")
    def ending_view(self):
        """Terms ending within 30 and 90 days (第六条), with the renewal link."""
        return self.render("admin/lifecycle/terms_ending.html", within_30=term_service.terms_ending(30),
                           within_90=term_service.terms_ending(90), role=current_role(),
                           today=clock.today())

    @expose("/renew/", methods=("GET", "POST"))
    def renew_view(self):
        """续聘 of one expert: the conditions are checked again today (第六、十一条)."""
        require_role("office")
        term = one_or_404(self, request.args.get("id"))
        expert = term.expert
        latest = term_service.latest_term(expert)
        form = RenewForm()
        if request.method == "GET":
            form.start_date.data = last_day(latest) + dt.timedelta(days=1)
            form.cohort.data = latest.cohort + 1
        if request.method == "POST" and form.validate():
            _, ok = run(
                lambda: term_service.renew_term(
                    expert, actor=current_user._get_current_object(), doc_no=form.doc_no.data or "",
                    start_date=form.start_date.data, cohort=form.cohort.data,
                    age_override_reason=(form.age_override_reason.data or "").strip() or None,
                ),
                lambda new: f"{expert.name}已续聘为第{new.cohort}届专家，聘期{new.start_date}至{new.end_date}。"
                            "请登记本届承诺书并起草聘任公告。",
            )
            if ok:
                return redirect(url_for(".index_view", search=expert.name))
        return self.render("admin/lifecycle/renew.html", form=form, term=latest, expert=expert,
                           eligibility=eligibility_of(expert))

    @expose("/cohort/", methods=("GET", "POST"))
    def cohort_view(self):
        """换届: renew the chosen members of a 届 into the next one and end the others."""
        require_role("office")
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
                      "renew": set(int_ids(request.form.getlist("renew")))}
            overrides = {t.expert_id: request.form.get(f"age-{t.expert_id}", "").strip() for t in members
                         if request.form.get(f"age-{t.expert_id}", "").strip()}
            _, ok = run(
                lambda: term_service.change_cohort(
                    cohort, renew_expert_ids=values["renew"], actor=current_user._get_current_object(),
                    doc_no=values["doc_no"], start_date=_date_or_none(values["start_date"]), age_overrides=overrides,
                ),
                lambda result: f"第{cohort}届换届完成：续聘{len(result.renewed)}人，"
                               f"{len(result.ended)}人任期届满未续聘，已列入拟解聘名单（第十三条（二）），待局领导批准。",
            )
            if ok:
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
    form_extra_fields = {
        "scan": FileField("签字扫描件", description="签字后的承诺书扫描件，JPEG、PNG或PDF，不超过10MB。")
    }
    form_args = {"expert": {"validators": [validators.required("请选择专家")]},
                 "signed_on": {"validators": [validators.required("请填写签署日期"), validators.not_in_future]}}
    form_ajax_refs = {"expert": {"fields": ("name",), "page_size": 10}}

    def _scan_link(view, context, model, name):
        if not model.scan_path:
            return Markup('<span class="text-muted">未上传</span>')
        return Markup(f'<a href="{escape(url_for(".scan_view", id=model.id))}" target="_blank">查看扫描件</a>')

    def _term(view, context, model, name):
        """The term the letter was signed for (a letter recorded without one: the term in
        force when it was signed, as the status rule counts it)."""
        term = model.term or term_service.letter_term(model.expert, model.signed_on)
        return str(term) if term is not None else "（无对应聘期）"

    column_formatters = {"created_at": local_time, "scan_path": _scan_link, "term": _term}
    column_formatters_export = {"created_at": local_time, "term": _term}

    def _can(self, action_name):
        if action_name in ("create", "edit"):
            return current_role() in term_service.LETTER_ROLES and super()._can(action_name)
        return super()._can(action_name)

    def get_query(self):
        return super().get_query().options(selectinload(CommitmentLetter.expert).selectinload(Expert.terms),
                                           selectinload(CommitmentLetter.term))

    def scope_query(self, query):
        if is_expert_self(current_role()):
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def create_form(self, obj=None):
        form = super().create_form(obj)
        expert_id = request.args.get("expert_id", "")
        if request.method == "GET" and expert_id.isdigit():
            form.expert.data = db.session.get(Expert, int(expert_id))
            form.signed_on.data = clock.today()
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
            refuse(err)
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
            refuse(err)
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
        if is_expert_self(current_role()) and current_user.expert_id != expert_id:
            abort(403)
        expert = db.session.get(Expert, expert_id) or abort(404)
        name, data = documents.commitment_letter_pdf(expert)
        return inline_pdf(name, data)

    @expose("/scan/<int:id>")
    def scan_view(self, id):
        """The signed scan."""
        letter = one_or_404(self, id)
        if not letter.scan_path:
            abort(404)
        data = read_upload(letter.scan_path)
        if data is None:
            abort(404)
        mime = "application/pdf" if data.startswith(b"%PDF") else "image/jpeg"
        return send_file(io.BytesIO(data), mimetype=mime, download_name=f"承诺书-{letter.expert.name}"
                         + (".pdf" if mime == "application/pdf" else ".jpg"))
