"""Public complaint form (投诉举报, 附件3 第5点; SPEC §7: ``GET/POST /complaints/new``).

Reached from the verify page with ``?permit=<token>`` (the complaint is then linked to
that expert) or directly. The enterprise's name and contact reach the office only.
"""
from flask import flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from app import validators
from app.extensions import db
from app.public.blueprint import bp
from app.public.limits import rate_limited
from app.services.discipline.complaints import BODY_MAX, file_complaint
from app.services.errors import DomainError
from app.services.permits.verification import check_permit, well_formed


class ComplaintForm(FlaskForm):
    """What the enterprise tells us; checked again by the service."""

    permit = HiddenField()
    enterprise_name = StringField("企业名称", validators=[validators.required("请填写企业名称"),
                                                         Length(max=200, message="企业名称不能超过200个字")])
    contact_name = StringField("联系人", validators=[validators.required("请填写联系人姓名"),
                                                    Length(max=50, message="联系人不能超过50个字")])
    contact_phone = StringField("联系电话", validators=[validators.required("请填写联系电话"),
                                                       validators.landline_or_mobile])
    subject = StringField("被投诉专家", validators=[Length(max=100, message="不能超过100个字")],
                          description="专家姓名或工作证编号（如 WJAQZJ-2026-0001），知道的请填写")
    body = TextAreaField(
        "情况说明",
        validators=[
            validators.required("请说明发生了什么"),
            Length(min=10, max=BODY_MAX, message=f"请用10至{BODY_MAX}个字说明时间、地点和经过"),
        ],
        description="时间、地点、经过，专家提出了什么要求（如推销产品、收取费用、要求委托辅导等）",
    )
    photo = FileField("现场照片（可选）", description="JPEG或PNG，不超过5MB")


def _about(token):
    """The expert named by a scanned permit, shown on the form (public facts only)."""
    if not well_formed(token):
        return None
    check = check_permit(token, log=False)
    return check if check.found else None


@bp.route("/complaints/new", methods=["GET", "POST"])
@rate_limited()
def complaint_new():
    """The complaint form; on success the enterprise gets its 受理编号."""
    form = ComplaintForm()
    if request.method == "GET":
        form.permit.data = request.args.get("permit", "")
    token = form.permit.data or None
    about = _about(token)
    if form.validate_on_submit():
        upload = request.files.get("photo")
        photo = upload.read() if upload and upload.filename else None
        try:
            complaint = file_complaint(
                enterprise_name=form.enterprise_name.data, contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data, body=form.body.data, subject=form.subject.data,
                permit_token=token if about else None, photo=photo,
            )
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            db.session.commit()
            session["complaint_no"] = complaint.complaint_no
            return redirect(url_for("public.complaint_done"))
    db.session.commit()  # end the read transaction of the permit lookup
    status = 400 if request.method == "POST" else 200
    return render_template("public/complaint_new.html", form=form, about=about), status


@bp.route("/complaints/done")
@rate_limited()
def complaint_done():
    """Acknowledgement with the 受理编号 (shown once)."""
    number = session.pop("complaint_no", None)
    if number is None:
        return redirect(url_for("public.complaint_new"))
    return render_template("public/complaint_done.html", number=number)
