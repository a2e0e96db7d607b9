"""告知书 and 回执 on the phone (第十六条, 附件3).

- ``POST /m/requests/<id>/notices`` — one 告知书 per enterprise of the job that has none yet;
- ``GET /m/notices/<id>`` — one notice: the receipt QR code to show the enterprise on the
  screen (it confirms on its own phone, ``/receipt/<token>``), the same address to share as a
  link, the PDF to print, and the paper 回执 to photograph;
- ``GET /m/notices/<id>/pdf`` — the 告知书 with its tear-off 回执 (the desktop's PDF);
- ``POST /m/notices/<id>/receipt`` — record a signed paper 回执 from its photo or scan.

The notice rules are :mod:`app.services.dispatch.notices`'; a unit sees its own notices only.
"""
from __future__ import annotations

import io
from urllib.parse import quote

import segno
from flask import flash, redirect, render_template, request, send_file, url_for

from app import clock
from app.mobile.access import own_notice, own_request, run, unit_page
from app.mobile.blueprint import bp
from app.services.dispatch import notices
from app.validators import parse_date
from models.choices import RECEIPT_METHODS


@bp.route("/requests/<int:request_id>/notices", methods=["POST"])
@unit_page("phone_notice", "create")
def notices_issue(request_id: int):
    """发放告知书: one per enterprise of the job (第十六条)."""
    req = own_request(request_id)
    made, ok = run(lambda: notices.issue_notices(req))
    if ok:
        flash(f"已生成{len(made)}份告知书，可出示二维码、分享链接或打印。" if made else "每家企业都已有告知书。",
              "success" if made else "info")
    return redirect(url_for("mobile.request_show", request_id=req.id) + "#notices")


@bp.route("/notices/<int:notice_id>")
@unit_page("phone_notice", "details")
def notice_show(notice_id: int):
    """One notice: QR code and link for the online receipt, PDF, paper receipt."""
    notice = own_notice(notice_id)
    url = notices.receipt_url(notice)
    qr = segno.make(url, error="m").svg_data_uri(scale=6, border=2, dark="#111")
    share_text = (f"{notice.enterprise.name}：武进区安全生产专家服务告知书（{notice.notice_no}），"
                  f"请打开链接阅读并确认签收回执：{url}")
    html = render_template(
        "mobile/ws/notice.html", notice=notice, req=notice.request, receipt_url=url, qr=qr,
        share_text=share_text, sms_href="sms:?&body=" + quote(share_text, safe=""), methods=RECEIPT_METHODS,
        signed_at=notices.format_time(notice.signed_at), today=clock.today(),
    )
    return html, 200, {"Cache-Control": "private, no-store"}


@bp.route("/notices/<int:notice_id>/pdf")
@unit_page("phone_notice", "details")
def notice_pdf(notice_id: int):
    """The 告知书 with its 回执 and QR code, as PDF (to print or to send)."""
    notice = own_notice(notice_id)
    response = send_file(io.BytesIO(notices.notice_pdf(notice)), mimetype="application/pdf", as_attachment=True,
                         download_name=notices.notice_filename(notice))
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"notice-{notice.notice_no}.pdf\"; "
        f"filename*=UTF-8''{quote(notices.notice_filename(notice))}")
    return response


@bp.route("/notices/<int:notice_id>/receipt", methods=["POST"])
@unit_page("phone_notice", "edit")
def notice_receipt(notice_id: int):
    """A signed paper 回执, photographed or scanned; the notice becomes 已回收."""
    notice = own_notice(notice_id)
    upload = request.files.get("scan")
    data = upload.read() if upload and upload.filename else b""

    def action():
        return notices.record_paper_receipt(notice, data, signer_name=request.form.get("signer_name"),
                                            signed_on=parse_date(request.form.get("signed_on"), "签收日期"))

    run(action, f"已登记{notice.enterprise.name}的纸质回执，状态为“已回收”。", record=notice)
    return redirect(url_for("mobile.notice_show", notice_id=notice.id))
