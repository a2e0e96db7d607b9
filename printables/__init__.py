"""Printed documents of the expert pool (SPEC §4), rendered to PDF.

One function does the work::

    from printables import render_pdf
    pdf: bytes = render_pdf("permit.html", {"permit": {...}})

It needs neither Flask nor the database: a service builds plain values
(dicts or dataclasses — templates read ``obj.key`` from either), a view wraps
the bytes in a response. Values are HTML-escaped; dates are ``datetime.date``,
amounts ``Decimal``, images the raw bytes of the upload (JPEG/PNG/…) or
``None`` for a placeholder box. A key left out prints as an empty field, so
the same template gives the blank form. :class:`PrintRenderError` is raised
when xhtml2pdf reports any error or warning (a font it cannot read, a
character no embedded font can draw).

Templates and the context each reads (see the comment at the top of each
template for details):

``commitment_letter.html`` — 附件1 承诺书
    expert_name, signed_on.
``registration_form.html`` — 附件2 登记表 (page 2: 填表说明)
    serial_no; expert: name, gender, birth_date, ethnicity, party, birthplace,
    photo, employer, supervisor, position, title, school, education,
    full_time, profession, specialty, registered_safety_engineer,
    registered_safety_assessor, id_number, on_duty (True 在岗 / False 退休),
    address, wechat, work_phone, home_phone, mobile, email, qq, groups,
    work_history [period, employer, department, position, title],
    achievements, awards, self_opinion, recommender_opinion,
    recommender_contact, recommender_phone, review_opinion;
    optional group_options, include_instructions. File name:
    :func:`registration_filename`.
``notice.html`` — 附件3 告知书 + 回执
    enterprise_name, issued_on, receipt_url (QR), receipt_no.
``fee_standard.html`` — 附件4 费用发放标准
    rows [no?, category, unit, amount, remark]; optional effective_from, note.
``payout_sheet.html`` — 季度专家服务费发放表 (A4 landscape)
    year, quarter (or title), batch_no, state, optional state_note,
    rows [name, id_number, employer, service_count, gross, tax, net],
    totals {service_count, gross, tax, net}, prepared_by, reviewed_by,
    approved_by, prepared_on.
``form_document.html`` — any form of the form engine (附件5 评价表 among them), blank or
    filled, laid out like 附件5: header, scored table, answers, pictures, 填表说明;
    the context is built by ``app.services.forms.documents.print_context``.
``permit.html`` — 专家工作证, 85.6 × 54 mm, front and back
    permit {name, photo, groups, permit_no, valid_from, valid_until,
    verify_url, issuer?}; back (default True).
``permit_sheet.html`` — the same cards, 8 to an A4 sheet, with crop marks
    permits [as above]; backs (default False: mirrored back sheets).
``announcement.html`` — 公告
    title, doc_no, body, experts [name, groups, employer], table_title,
    closing, issuer, issued_on.
``candidate_list.html`` — 拟聘专家名单 for the 局长办公会议 (A4 landscape)
    title, note, candidates [name, gender, employer, title, education,
    groups, test_score], prepared_by, prepared_on.
"""

from printables.filenames import registration_filename
from printables.images import image_data_uri, qr_data_uri
from printables.rendering import PrintRenderError, render_html, render_pdf

__all__ = [
    "PrintRenderError",
    "image_data_uri",
    "qr_data_uri",
    "registration_filename",
    "render_html",
    "render_pdf",
]
