"""Excel import of an existing roster (issue: foundation, item 9).

A downloadable template; every row is checked with the same rules as the forms
(identity, phones, groups, work history); either every row is imported or none, and
the refusal lists each problem by row and column in Chinese.

The template's example can never become data: it sits on a sheet of its own
(``填写示例``) that the importer never reads, and a row carrying the example's ID number
(copied from that sheet, or left in a template of an older layout that had it under the
hints) is recognised and skipped. An untouched template imports nothing.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services import identity
from app.services.errors import DomainError
from app.services.lifecycle import extra_fields
from app.services.lifecycle.work_history import check_history
from app.services.spreadsheets import workbook_bytes
from models import Expert, ExpertGroup, WorkHistory
from models.choices import EDUCATION_LEVELS, GENDERS, TITLE_LEVELS

MAX_ROWS = 2000

# (header, attribute, required, note shown in the template's second row)
COLUMNS = [
    ("姓名", "name", True, "必填"),
    ("性别", "gender", True, "男/女"),
    ("出生日期", "birth_date", True, "如 1975-05-17"),
    ("身份证号", "id_number", True, "18位"),
    ("民族", "ethnicity", False, "如 汉族"),
    ("党派", "party", False, ""),
    ("出生地", "birthplace", False, ""),
    ("工作单位", "employer", True, "全称，不得简写"),
    ("主管部门", "supervising_dept", False, "全称"),
    ("现任职务", "position", False, ""),
    ("职称", "title", False, "证书上的全称"),
    ("职称等级", "title_level", True, "/".join(TITLE_LEVELS.values())),
    ("毕业院校", "graduated_from", False, ""),
    ("学历", "education", True, "/".join(EDUCATION_LEVELS.values())),
    ("是否全日制", "full_time_education", False, "是/否"),
    ("从事专业", "profession", False, ""),
    ("擅长领域", "specialty", False, ""),
    ("注册安全工程师", "registered_safety_engineer", False, "是/否"),
    ("注册安全评价师", "registered_safety_assessor", False, "是/否"),
    ("是否退休", "retired", False, "是/否"),
    ("通讯地址", "address", False, ""),
    ("微信号", "wechat", False, ""),
    ("工作电话", "work_phone", False, "带区号，如 0519-86310627"),
    ("住宅电话", "home_phone", False, ""),
    ("手机", "mobile", True, "11位"),
    ("电子邮箱", "email", False, ""),
    ("QQ号", "qq", False, ""),
    ("专家组别", "groups", True, "可多个，用顿号分隔，如 化工、有限空间"),
    (
        "主要工作经历",
        "work_history",
        False,
        "每行一段：起止年月|单位|部门|职务|职称，如 1988.09-1992.07|某公司|安全部|科员|助理工程师",
    ),
    ("主要工作业绩", "achievements", False, ""),
    ("曾获奖励", "awards", False, ""),
]
HEADERS = [c[0] for c in COLUMNS]
DATA_SHEET = "专家名单"
EXAMPLE_SHEET = "填写示例"
#: The example row of the template (附件2 填表说明12 names its model applicant 刘大地).
EXAMPLE_ROW = [
    "刘大地", "男", "1975-05-17", "320483197505170013", "汉族", "中共党员", "江苏常州", "江苏某某钢铁有限公司",
    "常州市武进区工业和信息化局", "安全总监", "高级工程师", "副高级", "东南大学", "本科", "是", "冶金安全",
    "冶金煤气安全", "是", "否", "否", "常州市武进区湖塘镇某路1号", "liudadi", "0519-86310627", "", "13912345678",
    "liudadi@example.cn", "", "冶金煤气、金属冶炼",
    "1998.07-2005.06|江苏某某钢铁有限公司|炼钢厂|技术员|助理工程师\n2005.07-至今|江苏某某钢铁有限公司|安全环保部|安全总监|高级工程师",
    "", "",
]
EXAMPLE_ID_NUMBER = EXAMPLE_ROW[HEADERS.index("身份证号")]
NOTHING_TO_IMPORT = (
    "模板中没有可导入的数据：请在“专家名单”工作表第3行起逐行填写专家信息（“填写示例”工作表仅供参考，不会导入）。"
)
BOOL_WORDS = {"是": True, "否": False, "": False, "y": True, "n": False}


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the experts created, and whether a copy of the example was skipped."""

    experts: list[Expert]
    skipped_example: bool = False

    def message(self, shown: int = 20) -> str:
        """已导入3名专家：陈国华、邓志强、王海燕。 — every name up to ``shown``, then 等N名."""
        names = [e.name for e in self.experts]
        listed = "、".join(names[:shown]) + (f"等{len(names)}名" if len(names) > shown else "")
        text = f"已导入{len(names)}名专家：{listed}。"
        if self.skipped_example:
            text += "模板中的填写示例（刘大地）未导入。"
        return text


@dataclass(frozen=True)
class CellError:
    row: int  # spreadsheet row number as the user sees it
    column: str  # the column's Chinese header
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行“{self.column}”：{self.message}"


class ImportRefused(DomainError):
    """The file was refused; ``errors`` lists every problem, nothing was imported."""

    def __init__(self, errors: list[CellError]):
        self.errors = errors
        super().__init__(f"导入失败：共发现{len(errors)}处问题，未导入任何数据。")


def _style_sheet(ws, first_data_row: int) -> None:
    header_font = Font(bold=True, color="FFFFFF")
    for col, (_, _, required, _) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font = header_font
        cell.fill = PatternFill("solid", fgColor="B3261E" if required else "0B5CAD")
        ws.cell(row=2, column=col).font = Font(italic=True, color="666666")
        ws.column_dimensions[get_column_letter(col)].width = 18
    ws.freeze_panes = f"A{first_data_row}"


def _style_extra(ws, extra) -> None:
    for col, (_, field) in enumerate(extra, start=len(COLUMNS) + 1):
        ws.cell(row=1, column=col).font = Font(bold=True, color="FFFFFF")
        ws.cell(row=1, column=col).fill = PatternFill("solid", fgColor="B3261E" if field.required else "0B5CAD")
        ws.cell(row=2, column=col).font = Font(italic=True, color="666666")
        ws.column_dimensions[get_column_letter(col)].width = 18


def template_workbook() -> bytes:
    """The .xlsx template: sheet 专家名单 (headers and a line of hints, rows to fill from
    row 3) and sheet 填写示例 (the same with one example row, never imported)."""
    extra = extra_fields.sheet_columns()  # the office's own fields (issue 17 §2)
    headers = HEADERS + [h for h, _ in extra]
    hints = [note for *_, note in COLUMNS] + [extra_fields.sheet_hint(f) for _, f in extra]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(headers)
    ws.append(hints)
    _style_sheet(ws, 3)
    _style_extra(ws, extra)
    example = wb.create_sheet(EXAMPLE_SHEET)
    example.append(headers)
    example.append(hints)
    example.append(EXAMPLE_ROW)
    _style_extra(example, extra)
    example.cell(row=3, column=HEADERS.index("主要工作经历") + 1).alignment = Alignment(wrap_text=True)
    example.cell(
        row=5, column=1, value="本工作表仅为填写示例，导入时不会读取。请在“专家名单”工作表中填写。"
    ).font = Font(bold=True, color="B3261E")
    _style_sheet(example, 3)
    wb.active = 0
    return workbook_bytes(wb)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    try:
        return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        raise DomainError("日期格式应为 1975-05-17") from None


def _choice(value: str, mapping: dict, what: str) -> str:
    for code, label in mapping.items():
        if value in (label, code):
            return code
    raise DomainError(f"{what}应为：{'/'.join(mapping.values())}")


def _parse_row(values: dict, groups: dict[str, ExpertGroup], today: dt.date) -> tuple[dict, list[tuple[str, str]]]:
    """Check one row; return (fields, [(column, message)])."""
    out: dict = {}
    problems: list[tuple[str, str]] = []

    def check(header, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as err:
            problems.append((header, str(err)))
            return None

    for header, _attr, required, _ in COLUMNS:
        if required and not _text(values.get(header)):
            problems.append((header, "必填"))
    if problems:
        return out, problems
    for header, attr, _, _ in COLUMNS:
        raw = values.get(header)
        text = _text(raw)
        if attr == "gender":
            out[attr] = check(header, _choice, text, GENDERS, "性别")
        elif attr == "birth_date":
            out[attr] = check(header, lambda raw=raw: identity.not_in_future(_date(raw), today, "出生日期"))
        elif attr == "id_number":
            out[attr] = check(header, identity.check_id_number, text, today=today)
        elif attr == "education":
            out[attr] = check(header, _choice, text, EDUCATION_LEVELS, "学历")
        elif attr == "title_level":
            out[attr] = check(header, _choice, text, TITLE_LEVELS, "职称等级")
        elif attr in ("full_time_education", "registered_safety_engineer", "registered_safety_assessor", "retired"):
            if text.lower() not in BOOL_WORDS:
                problems.append((header, "应填写“是”或“否”"))
            out[attr] = BOOL_WORDS.get(text.lower(), False)
        elif attr == "mobile":
            out[attr] = check(header, identity.check_mobile, text)
        elif attr in ("work_phone", "home_phone"):
            out[attr] = check(header, identity.check_phone, text) if text else None
        elif attr == "email":
            out[attr] = check(header, identity.check_email, text) if text else None
        elif attr == "groups":
            names = [n for n in re.split(r"[、,，;；\s]+", text) if n]
            unknown = [n for n in names if n not in groups]
            if unknown:
                problems.append((header, f"没有“{'、'.join(unknown)}”这个组别；组别须为第三条所列12个之一"))
            out[attr] = [groups[n] for n in names if n in groups]
        elif attr == "work_history":
            rows = []
            for line in [line.strip() for line in text.splitlines() if line.strip()]:
                parts = [p.strip() for p in line.split("|")]
                if len(parts) < 2:
                    problems.append((header, f"“{line}”应写作 起止年月|单位|部门|职务|职称"))
                    continue
                parts += [""] * (5 - len(parts))
                rows.append(parts[:5])
            for err in check_history([r[0] for r in rows], today):
                problems.append((header, err.message))
            out[attr] = rows
        else:
            out[attr] = text or None
    if not problems and out.get("id_number"):
        try:
            identity.check_id_consistent(out["id_number"], out["birth_date"], GENDERS[out["gender"]])
        except DomainError as err:
            problems.append(("身份证号", str(err)))
    return out, problems


def _data_sheet(wb):
    """The sheet to import: 专家名单 when present, else the first sheet that is not the example."""
    if DATA_SHEET in wb.sheetnames:
        return wb[DATA_SHEET]
    for ws in wb.worksheets:
        if ws.title != EXAMPLE_SHEET:
            return ws
    raise DomainError(NOTHING_TO_IMPORT)


def _is_hint_row(values: dict) -> bool:
    return _text(values.get("姓名")) == COLUMNS[0][3] and _text(values.get("性别")) == COLUMNS[1][3]


def import_roster(data: bytes, today: dt.date | None = None) -> ImportResult:
    """Import every row or none. Raises ``ImportRefused`` listing row/column problems, or
    ``DomainError`` when the file holds nothing to import.

    Imported experts are records of the district pool not yet appointed (stage
    ``not_appointed``; :mod:`app.services.status` says 未聘任 until the 第十二条 procedure
    appoints them). The template's hints and its example are never imported. Flushes; the
    caller commits.
    """
    today = today or clock.today()
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a non-xlsx file
        raise DomainError("无法读取该文件：请使用下载的 .xlsx 模板填写后上传。") from None
    ws = _data_sheet(wb)
    rows = ws.iter_rows(values_only=True)
    header = [_text(h) for h in next(rows, ())]
    missing = [h for h in HEADERS if h not in header]
    if missing:
        raise DomainError(f"表头与模板不一致，缺少：{'、'.join(missing)}。请使用下载的模板。")
    index = {h: header.index(h) for h in HEADERS}
    extra = [(h, f) for h, f in extra_fields.sheet_columns() if h in header or f.required]
    missing = [h for h, f in extra if h not in header]
    if missing:
        raise DomainError(f"表头与模板不一致，缺少：{'、'.join(missing)}。请重新下载模板。")
    extra_index = {h: header.index(h) for h, _ in extra}
    extra_values: list[dict] = []
    groups = {g.name: g for g in db.session.scalars(select(ExpertGroup))}
    # The ID numbers already in the pool, as blind indexes under every key (nothing decrypted).
    existing_ids = set(db.session.scalars(select(Expert.id_number_bidx).where(Expert.id_number_bidx.is_not(None))))
    id_number_type = Expert.__table__.c.id_number.type
    errors: list[CellError] = []
    parsed: list[dict] = []
    seen: dict[str, int] = {}
    skipped_example = False
    for number, row in enumerate(rows, start=2):
        values = {h: (row[i] if i < len(row) else None) for h, i in index.items()}
        if all(_text(v) == "" for v in values.values()):
            continue
        if _is_hint_row(values):
            continue  # the hint line of the template
        if _text(values.get("身份证号")).upper() == EXAMPLE_ID_NUMBER:
            skipped_example = True  # the template's example, copied or left in an older template
            continue
        if len(parsed) + len(errors) > MAX_ROWS:
            raise DomainError(f"一次最多导入{MAX_ROWS}行。")
        fields, problems = _parse_row(values, groups, today)
        cleaned = {}
        for h, f in extra:
            raw = row[extra_index[h]] if extra_index[h] < len(row) else None
            try:
                cleaned[f.key] = extra_fields.parse_cell(f, raw)
            except DomainError as err:
                problems.append((h, str(err)))
        extra_values.append(cleaned)
        id_number = fields.get("id_number")
        if id_number and not existing_ids.isdisjoint(id_number_type.indexes_of(id_number)):
            problems.append(("身份证号", "该身份证号的专家已在库中"))
        if id_number and id_number in seen:
            problems.append(("身份证号", f"与第{seen[id_number]}行重复"))
        if id_number:
            seen.setdefault(id_number, number)
        errors.extend(CellError(number, column, message) for column, message in problems)
        parsed.append(fields)
    if errors:
        raise ImportRefused(errors)
    if not parsed:
        raise DomainError(NOTHING_TO_IMPORT)
    experts = []
    for fields in parsed:
        history = fields.pop("work_history") or []
        chosen = fields.pop("groups")
        expert = Expert(**fields, source="district", stage="not_appointed")
        expert.groups = chosen
        expert.work_history = [
            WorkHistory(position_no=i, period=p, employer=u, department=d or None, position=j or None, title=t or None)
            for i, (p, u, d, j, t) in enumerate(history, start=1)
        ]
        db.session.add(expert)
        experts.append(expert)
    db.session.flush()
    for expert, cleaned in zip(experts, extra_values, strict=True):
        extra_fields.store_values(expert.id, cleaned)
    return ImportResult(experts, skipped_example)
