"""Forms of the public self-recommendation pages (附件2, 第十二条; SPEC §5).

Format checks are the shared adapters of ``app.validators``; the rules across fields
(身份证号 against 出生日期/性别, a second application, 工作经历 order, the uploads) are
those of ``app.services.lifecycle.intake``, whose messages are placed beside the fields here.
"""
from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, Form, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import DateField, FieldList, FormField
from wtforms.validators import Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from app import clock, validators
from app.form_choices import options
from app.services.images import DOCUMENT_MAX_BYTES, PHOTO_MAX_BYTES
from app.services.lifecycle import intake
from models.choices import EDUCATION_LEVELS, EXPERT_GROUPS, GENDERS, TITLE_LEVELS

#: 政治面貌 as written on Chinese registration forms (附件2 党派).
PARTIES = [
    "中共党员", "中共预备党员", "共青团员", "民革党员", "民盟盟员", "民建会员", "民进会员",
    "农工党党员", "致公党党员", "九三学社社员", "台盟盟员", "无党派人士", "群众",
]
WORK_ROW_SLOTS = 5  # rows offered without JavaScript; apply.js adds more
WORK_ROWS_MAX = 30
DOCUMENT_FIELDS = ("id_card", "title_cert", "diploma", "registration_cert", "other")
_SCAN = {"accept": "image/*,application/pdf", "data-max-bytes": DOCUMENT_MAX_BYTES}


def _req(message: str):
    return validators.required(message)


def _ticked(message: str):
    """A declaration checkbox that must be ticked."""

    def validator(form, field):
        if not field.data:
            field.errors[:] = []
            raise StopValidation(message)

    validator.field_flags = {"required": True}
    return validator


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multiple choice (专家组别: 可申报多个组别)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WorkRowForm(Form):
    """One row of 主要工作经历 (附件2 填表说明1、9)."""

    period = StringField("起止年月", validators=[Length(max=20, message="起止年月过长")],
                         render_kw={"placeholder": "例：1988.09-1992.07", "autocomplete": "off"})
    employer = StringField("单位", validators=[Length(max=200, message="单位名称不能超过200字")])
    department = StringField("部门", validators=[Length(max=100, message="部门不能超过100字")])
    position = StringField("职务", validators=[Length(max=100, message="职务不能超过100字")])
    title = StringField("职称", validators=[Length(max=100, message="职称不能超过100字")])

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in self)


class SelfRecommendationForm(FlaskForm):
    """《武进区安全生产专家推荐/自荐信息登记表》 (附件2) with its uploads (填表说明14)."""

    # 基本信息
    name = StringField("姓名", validators=[_req("请填写姓名"), Length(max=50, message="姓名不能超过50字")],
                       render_kw={"autocomplete": "name"})
    gender = RadioField("性别", choices=options(GENDERS), validators=[_req("请选择性别")])
    birth_date = DateField("出生日期", validators=[_req("请填写出生日期"), validators.not_in_future],
                           format="%Y-%m-%d")
    id_number = StringField("身份证号", validators=[_req("请填写身份证号"), validators.id_number],
                            render_kw={"autocomplete": "off", "maxlength": 22, "spellcheck": "false"})
    ethnicity = StringField("民族", default="汉族",
                            validators=[_req("请填写民族"), Length(max=20, message="民族不能超过20字")])
    party = SelectField("党派（政治面貌）", choices=options([(p, p) for p in PARTIES], blank="请选择"),
                        validators=[_req("请选择党派（政治面貌）")])
    birthplace = StringField(
        "出生地",
        validators=[_req("请填写出生地"), Length(max=100, message="出生地不能超过100字")],
        render_kw={"placeholder": "例：江苏常州"},
    )

    # 工作单位与职称
    employer = StringField("工作单位（全称）", validators=[_req("请填写工作单位全称"),
                                                   Length(max=200, message="工作单位不能超过200字")],
                           render_kw={"placeholder": "填写准确的法人名称，不写简称", "autocomplete": "organization"})
    supervising_dept = StringField(
        "主管部门（全称）",
        validators=[Optional(), Length(max=200, message="主管部门不能超过200字")],
        render_kw={"placeholder": "直接上级行政主管部门，没有可不填"},
    )
    position = StringField(
        "现任职务",
        validators=[_req("请填写现任职务"), Length(max=100, message="职务不能超过100字")],
        render_kw={"placeholder": "行政职务，例：安全环保部经理"},
    )
    retired = RadioField("在岗情况", choices=options([("0", "在岗"), ("1", "退休")]), default="0",
                         validators=[_req("请选择在岗情况")])
    title_level = SelectField("职称等级", choices=options(TITLE_LEVELS, blank="请选择"),
                              validators=[_req("请选择职称等级")])
    title = StringField("职称（全称）", validators=[Length(max=100, message="职称不能超过100字")],
                        render_kw={"placeholder": "按证书填写，例：高级工程师"})
    registered_safety_engineer = BooleanField("国家注册安全工程师")
    registered_safety_assessor = BooleanField("国家注册安全评价师")
    graduated_from = StringField("毕业院校", validators=[_req("请填写毕业院校"),
                                                     Length(max=100, message="毕业院校不能超过100字")])
    education = SelectField("学历", choices=options(EDUCATION_LEVELS, blank="请选择"),
                            validators=[_req("请选择学历")])
    full_time_education = RadioField("是否全日制", choices=options([("1", "全日制"), ("0", "非全日制")]),
                                     validators=[_req("请选择是否全日制")])
    profession = StringField(
        "从事专业",
        validators=[_req("请填写从事专业"), Length(max=100, message="从事专业不能超过100字")],
        render_kw={"placeholder": "现在从事的专业，例：化工安全"},
    )
    specialty = TextAreaField(
        "擅长领域",
        validators=[_req("请填写擅长领域"), Length(max=1000, message="擅长领域不能超过1000字")],
        render_kw={"rows": 3, "placeholder": "例：危险化学品储存与使用安全、HAZOP分析"},
    )

    # 联系方式
    mobile = StringField("手机", validators=[_req("请填写手机号码"), validators.mobile],
                         render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "tel"})
    work_phone = StringField(
        "工作电话",
        validators=[validators.landline_or_mobile],
        render_kw={"type": "tel", "inputmode": "tel", "placeholder": "请写明区号，例：0519-86310627"},
    )
    home_phone = StringField("住宅电话", validators=[validators.landline_or_mobile],
                             render_kw={"type": "tel", "inputmode": "tel", "placeholder": "请写明区号"})
    email = StringField("电子邮箱", validators=[validators.email],
                        render_kw={"type": "email", "inputmode": "email", "autocomplete": "email"})
    wechat = StringField("微信号", validators=[Length(max=50, message="微信号不能超过50字")])
    qq = StringField("QQ号", validators=[Length(max=20, message="QQ号不能超过20位")],
                     render_kw={"inputmode": "numeric"})
    address = StringField(
        "通讯地址",
        validators=[_req("请填写通讯地址"), Length(max=200, message="通讯地址不能超过200字")],
        render_kw={"autocomplete": "street-address"},
    )

    # 专家组别
    groups = MultiCheckboxField("专家组别", choices=options(EXPERT_GROUPS))

    # 主要工作经历
    work_history = FieldList(FormField(WorkRowForm), min_entries=WORK_ROW_SLOTS, max_entries=WORK_ROWS_MAX)

    # 业绩与奖励
    achievements = TextAreaField("主要工作业绩", validators=[_req("请填写主要工作业绩"),
                                                       Length(max=4000, message="主要工作业绩不能超过4000字")],
                                 render_kw={"rows": 5, "placeholder": "相关业绩概述，尽量简洁"})
    awards = TextAreaField("曾获何种奖励", validators=[Length(max=2000, message="曾获奖励不能超过2000字")],
                           render_kw={"rows": 3, "placeholder": "没有可不填"})
    own_opinion = TextAreaField(
        "本人意见",
        validators=[Length(max=1000, message="本人意见不能超过1000字")],
        render_kw={"rows": 3, "placeholder": "例：本人自愿申请加入武进区安全生产专家库，遵守专家管理办法。"},
    )

    # 证明材料
    photo = FileField("一寸彩色电子照片", render_kw={"accept": "image/jpeg,image/png", "required": True,
                                                  "data-max-bytes": PHOTO_MAX_BYTES})
    id_card = MultipleFileField("身份证（正反面）", render_kw={**_SCAN, "required": True})
    title_cert = MultipleFileField("职称证书", render_kw=_SCAN)
    diploma = MultipleFileField("毕业证书", render_kw={**_SCAN, "required": True})
    registration_cert = MultipleFileField("注册安全工程师/注册安全评价师证书", render_kw=_SCAN)
    other = MultipleFileField("其他与专业条件相关的证明材料", render_kw=_SCAN)

    # 声明 (第十一条(一)(六), 第十二条(二) 如实填写)
    ethics_declared = BooleanField(
        "本人热爱安全生产工作，具有良好的职业道德，遵守《武进区安全生产专家管理办法》（第十一条（一））。",
        validators=[_ticked("请阅读并勾选此项声明")])
    health_declared = BooleanField(
        "本人身体健康，能够深入现场开展相关业务工作（第十一条（四）（六））。",
        validators=[_ticked("请阅读并勾选此项声明")])
    truthful = BooleanField(
        "本人承诺以上所填信息及上传材料真实、准确，如有虚假愿承担相应责任（第十二条（二））。",
        validators=[_ticked("请阅读并勾选此项声明")])

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or clock.today()
        self.row_errors: dict[int, list[str]] = {}
        self.history_errors: list[str] = []
        self._uploads: list[intake.Upload] | None = None

    # --- reading ---------------------------------------------------------------------

    def filled_rows(self) -> list[dict]:
        """The 工作经历 rows with anything typed in, each with its slot number."""
        rows = []
        for slot, entry in enumerate(self.work_history.entries):
            if entry.form.is_blank():
                continue
            row = {key: (entry.form[key].data or "").strip() for key in ("period", "employer", "department",
                                                                       "position", "title")}
            row["slot"] = slot
            rows.append(row)
        return rows

    def intake_data(self) -> dict:
        """The form as data for :func:`app.services.lifecycle.intake.submit_self_recommendation`."""
        text = lambda field: (field.data or "").strip()  # noqa: E731
        data = {key: text(self[key]) for key in (
            "name", "ethnicity", "party", "birthplace", "id_number", "employer", "supervising_dept", "position",
            "title", "title_level", "graduated_from", "education", "profession", "specialty", "mobile",
            "work_phone", "home_phone", "email", "wechat", "qq", "address", "achievements", "awards",
            "own_opinion", "gender",
        )}
        data["birth_date"] = self.birth_date.data
        data["retired"] = self.retired.data == "1"
        data["full_time_education"] = self.full_time_education.data != "0"
        data["registered_safety_engineer"] = bool(self.registered_safety_engineer.data)
        data["registered_safety_assessor"] = bool(self.registered_safety_assessor.data)
        data["health_declared"] = bool(self.health_declared.data)
        data["ethics_declared"] = bool(self.ethics_declared.data)
        data["groups"] = list(self.groups.data or [])
        data["work_history"] = self.filled_rows()
        return data

    def uploads(self) -> list[intake.Upload]:
        """The chosen files, read once (an empty file input contributes nothing)."""
        if self._uploads is None:
            found = []
            for kind in ("photo",) + DOCUMENT_FIELDS:
                data = self[kind].data
                for storage in (data if isinstance(data, list) else [data]):
                    if storage and getattr(storage, "filename", ""):
                        found.append(intake.Upload(kind=kind, data=storage.read(), filename=storage.filename))
            self._uploads = found
        return self._uploads

    def has_files(self) -> bool:
        return bool(self.uploads())

    # --- checking --------------------------------------------------------------------

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the intake rules (identity, duplicate, history, uploads)."""
        ok = super().validate(extra_validators)
        problems = intake.intake_problems(self.intake_data(), self.uploads(), today=self.today)
        self.attach_problems(problems)
        return ok and not problems

    def attach_problems(self, problems: dict[str, str]) -> None:
        """Place each ``{key: message}`` of the intake service beside its field."""
        for key, message in problems.items():
            if key.startswith("work_history-"):
                slot = int(key.rsplit("-", 1)[1])
                self.row_errors.setdefault(slot, [])
                if message not in self.row_errors[slot]:
                    self.row_errors[slot].append(message)
            elif key == "work_history":
                if message not in self.history_errors:
                    self.history_errors.append(message)
            elif key == "declarations":
                for name in ("ethics_declared", "health_declared"):
                    if not self[name].data and not self[name].errors:
                        self[name].errors = list(self[name].errors) + ["请阅读并勾选此项声明"]
            elif key in self._fields:
                field = self[key]
                if not field.errors:
                    field.errors = list(field.errors) + [message]
            else:
                self.form_errors.append(message)

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(anchor id, field label, first message) for the list at the top of the page."""
        items = []
        for name, field in self._fields.items():
            if name in ("csrf_token", "work_history"):
                if name == "work_history":
                    for message in self.history_errors:
                        items.append(("section-history", "主要工作经历", message))
                    for slot in sorted(self.row_errors):
                        items.append((f"work_history-{slot}", f"工作经历第{slot + 1}段", self.row_errors[slot][0]))
                    for slot, entry in enumerate(self.work_history.entries):
                        for sub in entry.form:
                            if sub.errors and slot not in self.row_errors:
                                items.append((f"work_history-{slot}", f"工作经历第{slot + 1}段", sub.errors[0]))
                continue
            if field.errors:
                items.append((field.id, field.label.text, field.errors[0]))
        return items


class StatusLookupForm(FlaskForm):
    """回执编号 and the last 4 characters of the 身份证号 (both needed: no enumeration)."""

    receipt_no = StringField("回执编号", validators=[_req("请填写回执编号"), Length(max=40, message="回执编号过长")],
                             render_kw={"placeholder": "例：ZJ2026-7KQM-4TWX-9HRB", "autocomplete": "off",
                                        "autocapitalize": "characters", "spellcheck": "false"})
    id_last4 = StringField(
        "身份证号后4位",
        validators=[_req("请填写身份证号后4位"), Length(max=8, message="请填写身份证号后4位")],
        render_kw={"autocomplete": "off", "maxlength": 4, "autocapitalize": "characters", "placeholder": "例：002X"},
    )
