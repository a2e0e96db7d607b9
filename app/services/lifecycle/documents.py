"""The printed documents of the lifecycle, built from the records (SPEC §4).

- 附件1 《武进区安全生产专家服务承诺书》, pre-filled with the expert's name;
- 附件2 《武进区安全生产专家推荐/自荐信息登记表》, filled from the record with the photo,
  file name 姓名+从事的行业 (填表说明12);
- the 公告 of appointments and dismissals (name, groups and employer only);
- the 拟聘名单 for the 局长办公会议 (第十二条(四)).

Each function returns ``(file name, PDF bytes)``; the wording is the attachments' own
(in ``printables/templates``); views only wrap the bytes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from app import clock
from app.services.identity import mask, mask_id, mask_phone
from app.services.uploads import read_upload
from models import Announcement, Application, CommitmentLetter, Expert
from models.choices import APPLICATION_STATES, EDUCATION_LEVELS, GENDERS
from printables import registration_filename, render_pdf

ISSUER = "武进区应急管理局"
OFFICE_NAME = "武进区应急管理局安全生产基础科"


def commitment_letter_context(expert: Expert, letter: CommitmentLetter | None = None) -> dict:
    """附件1: the name after 承诺人：, and the signing date once it is known."""
    return {"expert_name": expert.name, "signed_on": letter.signed_on if letter is not None else None}


def commitment_letter_pdf(expert: Expert, letter: CommitmentLetter | None = None) -> tuple[str, bytes]:
    """附件1 pre-filled for ``expert`` (blank date line to sign by hand unless ``letter`` is given)."""
    return f"{expert.name}专家服务承诺书.pdf", render_pdf("commitment_letter.html",
                                                         commitment_letter_context(expert, letter))


def _review_opinion(expert: Expert, application: Application | None) -> str:
    if expert.review_opinion:
        return expert.review_opinion
    if application is None:
        return ""
    lines = [f"{APPLICATION_STATES.get(s.to_state, s.to_state)}：{s.opinion}" for s in application.steps if s.opinion]
    return "\n".join(lines)


def registration_context(expert: Expert, application: Application | None = None, *, masked: bool = False) -> dict:
    """附件2 filled from the record. ``masked`` masks the ID number, phones, address, WeChat,
    QQ and e-mail (roles that may not see them in full, SPEC §3.15)."""
    def phone(value):
        return mask_phone(value) if masked and value else value

    return {
        "serial_no": expert.serial_no or (application.receipt_no if application is not None else None),
        "expert": {
            "name": expert.name,
            "gender": GENDERS.get(expert.gender, expert.gender),
            "birth_date": expert.birth_date,
            "ethnicity": expert.ethnicity,
            "party": expert.party,
            "birthplace": expert.birthplace,
            "photo": read_upload(expert.photo_path) if expert.photo_path else None,
            "employer": expert.employer,
            "supervisor": expert.supervising_dept,
            "position": expert.position,
            "title": expert.title,
            "school": expert.graduated_from,
            "education": EDUCATION_LEVELS.get(expert.education, expert.education),
            "full_time": expert.full_time_education,
            "profession": expert.profession,
            "specialty": expert.specialty,
            "registered_safety_engineer": bool(expert.registered_safety_engineer),
            "registered_safety_assessor": bool(expert.registered_safety_assessor),
            "id_number": mask_id(expert.id_number) if masked else expert.id_number,
            "on_duty": not expert.retired,
            "address": mask("address", expert.address) if masked else expert.address,
            "wechat": mask("account", expert.wechat) if masked else expert.wechat,
            "work_phone": phone(expert.work_phone),
            "home_phone": phone(expert.home_phone),
            "mobile": phone(expert.mobile),
            "email": mask("email", expert.email) if masked else expert.email,
            "qq": mask("account", expert.qq) if masked else expert.qq,
            "groups": expert.group_names,
            "work_history": [
                {"period": w.period, "employer": w.employer, "department": w.department, "position": w.position,
                 "title": w.title}
                for w in expert.work_history
            ],
            "achievements": expert.achievements,
            "awards": expert.awards,
            "self_opinion": expert.own_opinion,
            "recommender_opinion": expert.recommender_opinion,
            "recommender_contact": expert.recommender_contact,
            "recommender_phone": phone(expert.recommender_phone),
            "review_opinion": _review_opinion(expert, application),
            # The office's extra registry fields (issue 17 §2), personal data masked like the ID number.
            "extra": _extra_rows(expert, masked),
        },
    }


def _extra_rows(expert: Expert, masked: bool) -> list[tuple[str, str]]:
    from app.services.lifecycle import extra_fields

    values = extra_fields.values_of(expert)
    return [(f.label, extra_fields.display(f, values.get(f.key), masked=masked))
            for f in extra_fields.active_fields()]


def registration_form_pdf(expert: Expert, application: Application | None = None, *,
                          masked: bool = False) -> tuple[str, bytes]:
    """附件2 for ``expert``; the file is named 姓名+从事的行业 (填表说明12)."""
    return (registration_filename(expert.name, expert.profession or ""),
            render_pdf("registration_form.html", registration_context(expert, application, masked=masked)))


def announcement_context(announcement: Announcement) -> dict:
    """A 公告: title, 文号, body, the experts (name, groups, employer) and the issuer.

    A draft says so in its title, so a printed draft is never taken for the published one."""
    title = announcement.title if announcement.published else f"{announcement.title}（草稿）"
    return {
        "title": title,
        "doc_no": announcement.doc_no,
        "body": announcement.body,
        "experts": [{"name": e.name, "groups": e.groups, "employer": e.employer} for e in announcement.entries],
        "table_title": "专家名单"
        if announcement.kind == "appointment"
        else ("解聘专家名单" if announcement.entries else None),
        "closing": ["特此公告。"],
        "issuer": ISSUER,
        "issued_on": announcement.published_on,
    }


def announcement_pdf(announcement: Announcement) -> tuple[str, bytes]:
    """The 公告 as a PDF."""
    name = f"{announcement.title}.pdf".replace("/", "-")
    return name, render_pdf("announcement.html", announcement_context(announcement))


def candidate_list_context(applications: Sequence[Application], on: dt.date | None = None) -> dict:
    """The 拟聘名单 (第十二条(四)): who passed 初审 and the test, for the meeting."""
    n = len(applications)
    return {
        "title": "武进区安全生产专家拟聘名单",
        "note": (f"经安全生产基础科初审、综合素质测试，以下{n}名人员符合《武进区安全生产专家管理办法》"
                 "第十一条规定的聘任条件，拟聘为武进区安全生产专家，提请局长办公会议审定。"),
        "candidates": [
            {"name": a.expert.name, "gender": GENDERS.get(a.expert.gender, a.expert.gender),
             "employer": a.expert.employer, "title": a.expert.title or "",
             "education": EDUCATION_LEVELS.get(a.expert.education, a.expert.education),
             "groups": a.expert.group_names, "test_score": a.test_score}
            for a in applications
        ],
        "prepared_by": OFFICE_NAME,
        "prepared_on": on or clock.today(),
    }


def candidate_list_pdf(applications: Sequence[Application], on: dt.date | None = None) -> tuple[str, bytes]:
    """The 拟聘名单 as a PDF (A4 landscape)."""
    on = on or clock.today()
    return f"拟聘专家名单{on:%Y%m%d}.pdf", render_pdf("candidate_list.html", candidate_list_context(applications, on))
