"""Intake of a recommendation or self-recommendation (第十二条(一)(二), 附件2, SPEC §5).

第十二条: candidates are recommended by a town office, a bureau section, a brigade or
their employer, or recommend themselves (自荐), and fill in 附件2
《武进区安全生产专家推荐/自荐信息登记表》 with its supporting files (填表说明14: 一寸电子照片、
身份证、职称证书、学校毕业证书及与专业条件相关证明材料). The public 自荐 page and the staff
entry of a paper form both end in :func:`submit_self_recommendation`, which creates the
Expert (stage 申请中), the Application with its receipt number, the documents and the
first timeline event.

Nothing is written for refused input: every check runs first (:func:`intake_problems`),
uploads are stored only afterwards, and if the flush fails the stored files are removed
again. The view commits with :func:`commit_intake`, which removes them too if the commit fails.

The receipt number is the applicant's key to the public status page, so it is random
(12 characters from an alphabet without look-alike characters, about 59 bits) and
the lookup also asks for the last 4 characters of the ID number
(:func:`find_application`).
"""
from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from app.services import identity
from app.services.errors import DomainError
from app.services.images import sanitize_photo, sniff_document
from app.services.lifecycle.work_history import check_history, format_period, parse_period
from app.services.uploads import store_document, store_photo, upload_path
from models import (
    Announcement,
    AnnouncementEntry,
    Application,
    Expert,
    ExpertDocument,
    ExpertGroup,
    StatusEvent,
    WorkHistory,
)
from models.base import blind_match
from models.choices import (
    APPLICATION_CHANNELS,
    APPLICATION_STATES,
    DOCUMENT_KINDS,
    EDUCATION_LEVELS,
    GENDERS,
    TITLE_LEVELS,
)

#: Alphabet of the random part of a receipt number: no 0/O, 1/I/L, so it can be read
#: aloud and typed from paper without ambiguity.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_RANDOM_LEN = 12
_RECEIPT_COMPACT = re.compile(rf"(ZJ|TJ)(\d{{4}})([{RECEIPT_ALPHABET}]{{{RECEIPT_RANDOM_LEN}}})")

#: Expert columns an intake may set (附件2; the recommender fields only for 推荐).
EXPERT_FIELDS = (
    "name", "gender", "birth_date", "ethnicity", "party", "birthplace", "employer", "employer_uscc",
    "supervising_dept", "position", "title", "title_level", "graduated_from", "education",
    "full_time_education", "profession", "specialty", "registered_safety_engineer",
    "registered_safety_assessor", "id_number", "retired", "address", "wechat", "work_phone",
    "home_phone", "mobile", "email", "qq", "achievements", "awards", "own_opinion",
    "recommender_opinion", "recommender_contact", "recommender_phone", "town_id",
    "health_declared", "ethics_declared",
)

#: 附件2 items every application must carry, with the message for a missing one.
REQUIRED_FIELDS = {
    "name": "请填写姓名",
    "gender": "请选择性别",
    "birth_date": "请填写出生日期",
    "ethnicity": "请填写民族",
    "party": "请选择党派（政治面貌）",
    "birthplace": "请填写出生地",
    "id_number": "请填写身份证号",
    "employer": "请填写工作单位全称",
    "position": "请填写现任职务",
    "title_level": "请选择职称等级",
    "graduated_from": "请填写毕业院校",
    "education": "请选择学历",
    "profession": "请填写从事专业",
    "specialty": "请填写擅长领域",
    "address": "请填写通讯地址",
    "mobile": "请填写手机号码",
    "achievements": "请填写主要工作业绩",
}

#: Uploads: the photo and the document kinds of 填表说明14.
PHOTO = "photo"
MAX_FILES_PER_KIND = {"id_card": 2, "title_cert": 3, "diploma": 3, "registration_cert": 3, "other": 10}

DUPLICATE_MESSAGE = (
    "该身份证号已有专家登记或申请记录，不能重复提交。"
    "已提交过的申请可在“申请进度查询”中查看进度；如有疑问请联系区应急管理局安全生产基础科。"
)


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its kind (``photo`` or a ``DOCUMENT_KINDS`` code) and its bytes."""

    kind: str
    data: bytes
    filename: str = ""


class IntakeRefused(DomainError):
    """The application was refused; ``problems`` maps a form field to its Chinese message.

    Keys are field names of :data:`EXPERT_FIELDS`, ``groups``, ``work_history`` (the
    whole list), ``work_history-N`` (row N from 0), ``photo``, a document kind, or
    ``declarations``.
    """

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__("；".join(self.problems.values()))


# --- checks --------------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def identity_problems(id_number: str | None, birth_date: dt.date | None, gender: str | None,
                      *, today: dt.date | None = None) -> dict[str, str]:
    """Check the 身份证号 against 出生日期 and 性别 (附件2), and refuse a second record.

    ``gender`` is a ``GENDERS`` code. Returns ``{field: message}``; empty when fine. The
    duplicate message names no one and shows nothing of the existing record.
    """
    if _blank(id_number):
        return {}
    today = today or clock.today()
    try:
        number = identity.check_id_number(id_number, today=today)
    except DomainError as err:
        return {"id_number": str(err)}
    problems: dict[str, str] = {}
    if birth_date is not None:
        try:
            identity.check_id_consistent(number, birth_date=birth_date)
        except DomainError as err:
            problems["birth_date"] = str(err)
    if gender in GENDERS:
        try:
            identity.check_id_consistent(number, gender=GENDERS[gender])
        except DomainError as err:
            problems["gender"] = str(err)
    if id_number_taken(number):
        problems["id_number"] = DUPLICATE_MESSAGE
    return problems


def id_number_taken(id_number: str) -> bool:
    """Whether any expert record (applicant, in pool, dismissed…) carries this 身份证号."""
    # Through the blind index: the stored numbers are encrypted (SPEC §3.20).
    return db.session.scalar(select(Expert.id).where(blind_match(Expert.id_number, id_number)).limit(1)) is not None


def history_problems(rows: Sequence[Mapping[str, str]], today: dt.date) -> dict[str, str]:
    """Check 主要工作经历 (附件2 填表说明1、9): at least one row; each filled row has a
    period and an employer; periods well formed and in time order (work_history.check_history).

    ``rows`` are the filled rows only, each with its form position under ``"slot"``
    (defaults to its index) so a message lands beside the row the applicant sees, and
    a reference to another row uses that row's displayed number.
    """
    if not rows:
        return {"work_history": "请至少填写一段主要工作经历（起止年月和单位）"}
    slots = [int(row.get("slot", i)) for i, row in enumerate(rows)]
    problems: dict[str, str] = {}
    for slot, row in zip(slots, rows, strict=True):
        missing = [label for key, label in (("period", "起止年月"), ("employer", "单位")) if _blank(row.get(key))]
        if missing:
            problems[f"work_history-{slot}"] = f"请填写{'和'.join(missing)}"
    periods = [(slot, row["period"]) for slot, row in zip(slots, rows, strict=True) if not _blank(row.get("period"))]

    def renumber(message: str) -> str:
        return re.sub(r"第(\d+)行", lambda m: f"第{periods[int(m[1]) - 1][0] + 1}行", message)

    for err in check_history([text for _, text in periods], today):
        slot = periods[err.index][0]
        message = renumber(err.message).split("：", 1)[-1]
        problems.setdefault(f"work_history-{slot}", message)
    return problems


def upload_problems(uploads: Sequence[Upload], *, require: bool = True, title_cert_required: bool = True,
                    registration_required: bool = False) -> dict[str, str]:
    """Check the photo and the scans of 填表说明14 without storing anything.

    With ``require``: a photo, 身份证 and 毕业证书 are needed, 职称证书 when the applicant
    states a 职称 (``title_cert_required``), and a 注册证书 when he states he is a
    注册安全工程师/评价师 (``registration_required``). Each file is sniffed from its
    content (a text file renamed .jpg is refused).
    """
    problems: dict[str, str] = {}
    by_kind: dict[str, list[Upload]] = {}
    for up in uploads:
        by_kind.setdefault(up.kind, []).append(up)
    for kind, items in by_kind.items():
        if kind != PHOTO and kind not in DOCUMENT_KINDS:
            raise ValueError(f"unknown upload kind {kind!r}")
        limit = 1 if kind == PHOTO else MAX_FILES_PER_KIND[kind]
        if len(items) > limit:
            problems[kind] = f"最多上传{limit}个文件"
            continue
        for up in items:
            try:
                if kind == PHOTO:
                    sanitize_photo(up.data)
                else:
                    sniff_document(up.data)
            except DomainError as err:
                name = f"（{up.filename}）" if up.filename and len(items) > 1 else ""
                problems[kind] = f"{err}{name}"
                break
    if require:
        needed = {PHOTO: "请上传一寸彩色电子照片", "id_card": "请上传身份证扫描件或照片",
                  "diploma": "请上传毕业证书扫描件或照片"}
        if title_cert_required:
            needed["title_cert"] = "请上传职称证书扫描件或照片"
        if registration_required:
            needed["registration_cert"] = "请上传注册安全工程师/注册安全评价师证书"
        for kind, message in needed.items():
            if kind not in by_kind:
                problems.setdefault(kind, message)
    return problems


def intake_problems(data: Mapping, uploads: Sequence[Upload], *, today: dt.date | None = None,
                    require_uploads: bool = True, require_declarations: bool = True) -> dict[str, str]:
    """Every check of an application (附件2, 第十一条(一)(六) declarations); ``{field: message}``.

    ``data`` holds Expert columns (see :data:`EXPERT_FIELDS`), ``groups`` (ExpertGroup
    codes) and ``work_history`` (filled rows: period, employer, department, position,
    title, optional slot). An empty result means the application may be stored.
    """
    today = today or clock.today()
    problems: dict[str, str] = {}
    for key, message in REQUIRED_FIELDS.items():
        if _blank(data.get(key)):
            problems[key] = message
    if data.get("gender") not in (None, "") and data["gender"] not in GENDERS:
        problems["gender"] = "请选择性别"
    if data.get("education") and data["education"] not in EDUCATION_LEVELS:
        problems["education"] = "请选择学历"
    level = data.get("title_level")
    if level and level not in TITLE_LEVELS:
        problems["title_level"] = "请选择职称等级"
    if level and level != "none" and _blank(data.get("title")):
        problems["title"] = "请填写职称全称（按证书填写，不写简称）"
    birth = data.get("birth_date")
    if isinstance(birth, dt.date):
        try:
            identity.not_in_future(birth, today, "出生日期")
        except DomainError as err:
            problems["birth_date"] = str(err)
    for key, check in (("mobile", identity.check_mobile), ("work_phone", identity.check_phone),
                       ("home_phone", identity.check_phone), ("email", identity.check_email)):
        if not _blank(data.get(key)):
            try:
                check(data[key])
            except DomainError as err:
                problems[key] = str(err)
    for key, message in identity_problems(data.get("id_number"), birth if isinstance(birth, dt.date) else None,
                                          data.get("gender"), today=today).items():
        problems.setdefault(key, message)
    codes = list(data.get("groups") or [])
    if not codes:
        problems["groups"] = "请至少选择一个专家组别"
    elif len(_groups_by_code(codes)) != len(set(codes)):
        problems["groups"] = "专家组别无效，请重新选择"
    problems.update(history_problems(list(data.get("work_history") or []), today))
    if require_declarations and not (data.get("health_declared") and data.get("ethics_declared")):
        problems["declarations"] = "请阅读并勾选全部声明"
    problems.update(upload_problems(
        uploads, require=require_uploads, title_cert_required=bool(level) and level != "none",
        registration_required=bool(data.get("registered_safety_engineer") or data.get("registered_safety_assessor")),
    ))
    return problems


def _groups_by_code(codes: Sequence[str]) -> list[ExpertGroup]:
    return list(db.session.scalars(
        select(ExpertGroup).where(ExpertGroup.code.in_(list(codes))).order_by(ExpertGroup.sort_order)
    ))


# --- creation ------------------------------------------------------------------------


def new_receipt_no(channel: str = "self", today: dt.date | None = None) -> str:
    """A fresh receipt number: ``ZJ2026-7KQM-4TWX-9HRB`` (自荐) or ``TJ…`` (推荐).

    The 12 random characters (``secrets``) make it impossible to enumerate; the
    prefix and year only help the office sort paper.
    """
    year = (today or clock.today()).year
    while True:
        chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_RANDOM_LEN))
        prefix = "ZJ" if channel == "self" else "TJ"
        number = f"{prefix}{year}-{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"
        if db.session.scalar(select(Application.id).where(Application.receipt_no == number)) is None:
            return number


def submit_self_recommendation(
    data: Mapping,
    files: Sequence[Upload],
    *,
    channel: str = "self",
    recommending_unit_id: int | None = None,
    recommending_unit_name: str | None = None,
    actor_id: int | None = None,
    today: dt.date | None = None,
    require_uploads: bool | None = None,
    require_declarations: bool | None = None,
) -> Application:
    """Create the applicant (第十二条(一)(二)): Expert (stage 申请中, source 区库), its groups,
    work history and documents, the Application in state 已提交 with a receipt number,
    and the timeline event 提交自荐申请 / 提交推荐申请. Flushes; the caller commits.

    ``channel`` is a key of ``APPLICATION_CHANNELS`` — ``self`` for the public page,
    another for staff entering a recommendation. Uploads and the health/ethics
    declarations are required for ``self`` and optional otherwise unless stated.
    Raises :class:`IntakeRefused` with every problem before anything is stored; after
    a refusal or any other error the caller rolls the session back.
    """
    if channel not in APPLICATION_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    today = today or clock.today()
    is_self = channel == "self"
    require_uploads = is_self if require_uploads is None else require_uploads
    require_declarations = is_self if require_declarations is None else require_declarations
    problems = intake_problems(data, files, today=today, require_uploads=require_uploads,
                               require_declarations=require_declarations)
    if problems:
        raise IntakeRefused(problems)

    values = {key: data[key] for key in EXPERT_FIELDS if key in data}
    for key, value in list(values.items()):
        if isinstance(value, str):
            values[key] = value.strip() or None
    values["id_number"] = identity.check_id_number(values["id_number"])
    values["mobile"] = identity.check_mobile(values["mobile"])
    for key in ("work_phone", "home_phone", "recommender_phone"):
        if values.get(key):
            values[key] = identity.check_phone(values[key])
    if values.get("email"):
        values["email"] = identity.check_email(values["email"])
    if values.get("title_level") is None:
        values["title_level"] = "none"
    expert = Expert(**values, source="district", stage="applicant")
    expert.groups = _groups_by_code(list(data["groups"]))
    expert.work_history = [
        WorkHistory(position_no=i, period=format_period(*parse_period(row["period"])),
                    employer=_clean(row["employer"]), department=_clean(row.get("department")),
                    position=_clean(row.get("position")), title=_clean(row.get("title")))
        for i, row in enumerate(data["work_history"], start=1)
    ]
    application = Application(
        receipt_no=new_receipt_no(channel, today), expert=expert, channel=channel, state="submitted",
        recommending_unit_id=recommending_unit_id, recommending_unit_name=recommending_unit_name,
        created_by_id=actor_id,
    )
    try:
        _store_files(expert, files, actor_id)
        db.session.add(expert)
        db.session.add(application)
        db.session.add(StatusEvent(expert=expert, actor_id=actor_id,
                                   event="提交自荐申请" if is_self else "提交推荐申请",
                                   reason=f"回执编号 {application.receipt_no}"))
        db.session.flush()
    except IntegrityError:
        discard_stored_files(application)
        # Two submissions of the same person raced past the duplicate check.
        raise IntakeRefused({"id_number": DUPLICATE_MESSAGE}) from None
    except BaseException:
        discard_stored_files(application)
        raise
    return application


def _clean(value) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip() if isinstance(value, str) else str(value)
    return text or None


def _store_files(expert: Expert, files: Sequence[Upload], actor_id: int | None) -> None:
    """Store the checked uploads and attach them to ``expert`` (paths set as they are written,
    so :func:`discard_stored_files` finds every file if a later step fails)."""
    counts: dict[str, int] = {}
    totals: dict[str, int] = {}
    for up in files:
        totals[up.kind] = totals.get(up.kind, 0) + 1
    for up in files:
        if up.kind == PHOTO:
            expert.photo_path, expert.photo_thumb_path = store_photo(up.data)
            continue
        path, mime = store_document(up.data)
        counts[up.kind] = counts.get(up.kind, 0) + 1
        label = DOCUMENT_KINDS[up.kind]
        title = f"{label}（{counts[up.kind]}）" if totals[up.kind] > 1 else label
        expert.documents.append(ExpertDocument(kind=up.kind, title=title, file_path=path, mime_type=mime,
                                               size_bytes=upload_size(path), uploaded_by_id=actor_id))


def upload_size(rel: str) -> int:
    """Size in bytes of a stored upload (0 if it is missing)."""
    path = upload_path(rel)
    return path.stat().st_size if path else 0


def stored_files(application: Application) -> list[str]:
    """Relative paths of every upload an intake stored for this application's expert."""
    expert = application.expert
    if expert is None:
        return []
    paths = [expert.photo_path, expert.photo_thumb_path] + [doc.file_path for doc in expert.documents]
    return [p for p in paths if p]


def commit_intake(application: Application) -> None:
    """Commit a submitted intake; if the commit fails, roll back, remove its stored files and re-raise."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        discard_stored_files(application)
        raise


def discard_stored_files(application: Application) -> None:
    """Remove the uploads of an intake that was not committed (no file is left behind)."""
    for rel in stored_files(application):
        try:
            path = upload_path(rel)
        except DomainError:
            continue
        if path is not None:
            path.unlink(missing_ok=True)


# --- public status lookup ------------------------------------------------------------


def normalize_receipt_no(text: str | None) -> str | None:
    """The canonical form of a typed receipt number, or None if it cannot be one.

    Spaces, dashes and case are ignored (``zj2026 7kqm4twx9hrb`` works)."""
    compact = re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", text or "").upper())
    match = _RECEIPT_COMPACT.fullmatch(compact)
    if match is None:
        return None
    prefix, year, chars = match.groups()
    return f"{prefix}{year}-{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


def find_application(receipt_no: str | None, id_last4: str | None) -> Application | None:
    """The application with this receipt number whose 身份证号 ends in ``id_last4``.

    A wrong last-4 gives the same answer (None) as an unknown number, so the page is
    no oracle for valid receipt numbers; the comparison takes constant time.
    """
    number = normalize_receipt_no(receipt_no)
    last4 = unicodedata.normalize("NFKC", id_last4 or "").strip().upper()
    if number is None or not re.fullmatch(r"\d{3}[\dX]", last4):
        return None
    application = db.session.scalar(select(Application).where(Application.receipt_no == number))
    if application is None:
        hmac.compare_digest(last4, "0000")  # keep the timing of both branches alike
        return None
    if not hmac.compare_digest(application.expert.id_number[-4:].upper(), last4):
        return None
    return application


#: The appointment flow of 第十二条(三)(四) as the applicant sees it: stage name and the
#: states that complete it.
PUBLIC_STAGES = (
    ("初审", ("prelim_passed", "prelim_rejected")),
    ("综合素质测试", ("test_passed", "test_failed")),
    ("列入拟聘名单", ("shortlisted",)),
    ("局长办公会议审定", ("approved", "rejected")),
    ("聘任发文", ("appointed",)),
)
FINAL_STATES = {"prelim_rejected", "test_failed", "rejected", "appointed", "withdrawn"}


@dataclass(frozen=True)
class ProgressStep:
    label: str
    on: dt.date | None


@dataclass(frozen=True)
class PublishedNotice:
    """A published 公告 the status page may point to: its id, title, 文号 and date."""

    id: int
    title: str
    doc_no: str | None
    published_on: dt.date


@dataclass(frozen=True)
class PublicProgress:
    """What the public status page may show: the state and dated steps, nothing personal.

    ``announcement`` is the published 聘任公告 naming the applicant, once there is one
    (the page never mentions an announcement that has not been published)."""

    receipt_no: str
    state: str
    state_label: str
    done: tuple[ProgressStep, ...]
    upcoming: tuple[str, ...] = field(default_factory=tuple)
    finished: bool = False
    announcement: PublishedNotice | None = None


def appointment_announcement(application: Application) -> PublishedNotice | None:
    """The published 聘任公告 that names the expert of an appointed ``application``, if any."""
    if application.state != "appointed":
        return None
    appointed_on = max((clock.local_date(s.at) for s in application.steps if s.to_state == "appointed"),
                       default=clock.local_date(application.submitted_at))
    row = db.session.execute(
        select(Announcement.id, Announcement.title, Announcement.doc_no, Announcement.published_on)
        .join(AnnouncementEntry, AnnouncementEntry.announcement_id == Announcement.id)
        .where(Announcement.kind == "appointment", Announcement.published.is_(True),
               Announcement.published_on >= appointed_on, AnnouncementEntry.expert_id == application.expert_id)
        .order_by(Announcement.published_on).limit(1)
    ).first()
    return PublishedNotice(*row) if row else None


def public_progress(application: Application) -> PublicProgress:
    """The state of an application in Chinese and the dates of its steps (第十二条), for the
    public status page: no names, opinions or other personal data."""
    done = [ProgressStep("提交申请", clock.local_date(application.submitted_at))]
    reached = -1
    for step in application.steps:
        done.append(ProgressStep(APPLICATION_STATES.get(step.to_state, step.to_state), clock.local_date(step.at)))
        for index, (_, states) in enumerate(PUBLIC_STAGES):
            if step.to_state in states:
                reached = max(reached, index)
    for index, (_, states) in enumerate(PUBLIC_STAGES):
        if application.state in states:
            reached = max(reached, index)
    finished = application.state in FINAL_STATES
    upcoming = () if finished else tuple(label for label, _ in PUBLIC_STAGES[reached + 1:])
    return PublicProgress(
        receipt_no=application.receipt_no, state=application.state, state_label=application.state_label,
        done=tuple(done), upcoming=upcoming, finished=finished, announcement=appointment_announcement(application),
    )
