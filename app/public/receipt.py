"""Online confirmation of the 告知书回执 (附件3, 第十六条): the QR target ``/receipt/<token>``.

An enterprise scans the QR code on the tear-off 回执 with a phone, types the signer's name
and confirms; the time is recorded. The page is light (no framework, no script) and is
rate-limited. A receipt is confirmed once: a second confirmation shows when and by whom
it was confirmed and changes nothing. An unknown or forged token gets a Chinese 404 page.
"""
from flask import flash, make_response, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from app.errors import render_error
from app.extensions import db
from app.public.blueprint import bp
from app.public.limits import rate_limited
from app.services.dispatch import notices
from app.services.errors import DomainError
from models.choices import RECEIPT_METHODS

INVALID = "回执二维码无效：未找到对应的告知书。请核对二维码是否完整清晰，或联系向贵单位发放告知书的单位。"


def _page(notice, signer="", status=200):
    response = make_response(render_template(
        "public/receipt.html", notice=notice, signer=signer, signed_at=notices.format_time(notice.signed_at),
        method=RECEIPT_METHODS.get(notice.receipt_method or "", ""),
    ), status)
    # The token is the key to this page: never cache it, never send it on as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/receipt/<token>", methods=["GET", "POST"])
@rate_limited()
@rate_limited("10 per minute", methods=("POST",))
def receipt(token):
    """Show the receipt of one notice; POST confirms it with the signer's name."""
    notice = notices.find_notice(token)
    if notice is None:
        return render_error(404, INVALID)
    if request.method == "GET":
        return _page(notice)
    signer = request.form.get("signer_name", "")
    try:
        notices.confirm_receipt(token, signer)
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
        flash(str(err), "error")
        return _page(notice, signer=signer, status=422)
    flash("签收成功，感谢贵单位的配合！", "success")
    return redirect(url_for("public.receipt", token=token), code=303)
