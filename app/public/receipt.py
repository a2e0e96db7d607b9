"""Online confirmation of the 告知书回执 (附件3, 第十六条): the QR target ``/receipt/<token>``.

An enterprise scans the QR code on the tear-off 回执 with a phone, types the signer's name,
signs with a finger and confirms; the time is recorded. The form is the engine's ``receipt``
form, rendered by the phone renderer (the signature pad needs the page's script); the page is
light (no framework) and rate-limited. A receipt is confirmed once: a second confirmation shows when and by whom
it was confirmed and changes nothing. An unknown or forged token gets a Chinese 404 page.
"""
from flask import abort, flash, make_response, redirect, render_template, request, send_file, url_for
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.errors import render_error
from app.extensions import db
from app.public.blueprint import bp
from app.public.limits import rate_limited
from app.services.dispatch import notices
from app.services.errors import DomainError
from app.services.forms import definitions
from app.services.forms.posted import filled_from_post
from app.services.uploads import upload_path
from models.choices import RECEIPT_METHODS

INVALID = "回执二维码无效：未找到对应的告知书。请核对二维码是否完整清晰，或联系向贵单位发放告知书的单位。"


def _receipt_version():
    return definitions.current_version(definitions.form_by_code("receipt"))


def _page(notice, values=None, errors=(), field_errors=None, status=200):
    version = _receipt_version()
    signature = notices.receipt_signature(notice) if notice.receipt_state == "received" else None
    response = make_response(render_template(
        "public/receipt.html", notice=notice, signed_at=notices.format_time(notice.signed_at),
        method=RECEIPT_METHODS.get(notice.receipt_method or "", ""), version=version, values=values or {},
        notes={}, choices={}, numbers={}, groups=[], errors=list(errors), field_errors=field_errors or {},
        today=clock.today(), signature=signature,
        has_signature=any(f.kind == "signature" for f in version.fields),
    ), status)
    # The token is the key to this page: never cache it, never send it on as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/receipt/<token>", methods=["GET", "POST"])
@rate_limited()
@rate_limited("10 per minute", methods=("POST",))
def receipt(token):
    """Show the receipt of one notice; POST confirms it with the signer's name and signature."""
    notice = notices.find_notice(token)
    if notice is None:
        return render_error(404, INVALID)
    if request.method == "GET":
        return _page(notice)
    filled, signed_at = filled_from_post(_receipt_version(), request.form)
    try:
        notices.confirm_receipt(token, filled, signed_at=signed_at)
        db.session.commit()
    except notices.ReceiptAlreadyConfirmed as err:
        db.session.rollback()
        flash(str(err), "info")
        return _page(notice)
    except StaleDataError:  # confirmed by someone else a moment ago
        db.session.rollback()
        db.session.refresh(notice)
        flash(str(notices.ReceiptAlreadyConfirmed("该回执刚刚已被确认签收，无需重复确认。")), "info")
        return _page(notice)
    except DomainError as err:
        db.session.rollback()
        problems = getattr(err, "problems", None) or [str(err)]
        values = {k: v for k, v in filled.values.items() if isinstance(v, str)}
        return _page(notice, values=values, errors=problems, field_errors=getattr(err, "field_errors", {}),
                     status=422)
    flash("签收成功，感谢贵单位的配合！", "success")
    return redirect(url_for("public.receipt", token=token), code=303)


@bp.route("/receipt/<token>/signature.png")
@rate_limited()
def receipt_signature(token):
    """The signature drawn on this receipt (the token is the key, as for the page)."""
    notice = notices.find_notice(token)
    answer = notices.receipt_signature(notice) if notice is not None else None
    path = upload_path(answer.file_path) if answer is not None else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
