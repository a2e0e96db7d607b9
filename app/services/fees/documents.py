"""Documents of the quarterly payout and the fee standard (第二十条, 附件4, SPEC §4).

* :func:`payout_workbook` — the .xlsx the finance office pays from: every line with
  the expert's **full** ID number (the bank and the tax return need it), and every
  service record behind it. Only the expert office and the sysadmin may have it
  (SPEC §3.15: full ID numbers for the office only).
* :func:`payout_sheet_context` — the context of ``printables/payout_sheet.html``:
  one row per expert with a signature column (领款人签字); ID numbers masked for
  readers who may not see them in full.
* :func:`fee_standard_context` — ``printables/fee_standard.html`` (附件4) as in force
  on a day.

Services build the data; views only wrap the bytes.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import select

from app import clock
from app.auth.rights import sees_unmasked
from app.extensions import db
from app.services.fees.payouts import batch_lines
from app.services.fees.pricing import standard_in_force_rows
from app.services.fees.quarters import quarter_label
from app.services.fees.records import count_unit
from app.services.fees.settlement import batch_records_condition
from app.services.identity import mask_id
from app.services.spreadsheets import workbook_bytes
from models import Expert, OrgUnit, PayoutBatch, ServiceRecord, User
from models.choices import ACTIVITY_TYPES, PAYOUT_STATES

MONEY_FORMAT = "#,##0.00"
#: The 类别 of 附件4's priced rows, in its own words and order.
ATTACHMENT4_CATEGORIES = {"inspection": "执法检查", "accident_investigation": "事故调查", "emergency": "应急处置"}


def batch_title(batch: PayoutBatch) -> str:
    """武进区安全生产专家服务费发放表（2026年第2季度）."""
    return f"武进区安全生产专家服务费发放表（{quarter_label(batch.year, batch.quarter)}）"


def batch_no(batch: PayoutBatch) -> str:
    """The batch's number as printed: 2026年第2季度第1批."""
    return f"{quarter_label(batch.year, batch.quarter)}第{batch.sequence}批"


def _name_of(user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = db.session.get(User, user_id)
    return (user.full_name or user.username) if user else ""


def expert_rows(batch: PayoutBatch) -> list[dict]:
    """One row per expert: his service fee line and any adjustments, added up (he signs once)."""
    rows: OrderedDict[int, dict] = OrderedDict()
    for line in batch_lines(batch):
        row = rows.get(line.expert_id)
        if row is None:
            row = rows[line.expert_id] = dict(
                expert_id=line.expert_id, name=line.name, id_number=line.id_number, employer=line.employer,
                service_count=0, gross=Decimal("0.00"), tax=Decimal("0.00"), net=Decimal("0.00"), adjustments=0,
            )
        row["service_count"] += line.service_count
        row["gross"] += line.gross
        row["tax"] += line.tax
        row["net"] += line.net
        row["adjustments"] += 1 if line.is_adjustment else 0
    return list(rows.values())


def payout_sheet_context(batch: PayoutBatch, role: str | None) -> dict:
    """Context of ``payout_sheet.html`` (see printables/__init__.py) for a reader of ``role``.

    ID numbers are printed in full only for roles that may see them (SPEC §3.15).
    """
    rows = expert_rows(batch)
    full = sees_unmasked(role)
    for row in rows:
        row["id_number"] = row["id_number"] if full else mask_id(row["id_number"])
    totals = dict(
        service_count=sum(r["service_count"] for r in rows),
        gross=sum((r["gross"] for r in rows), Decimal("0.00")),
        tax=sum((r["tax"] for r in rows), Decimal("0.00")),
        net=sum((r["net"] for r in rows), Decimal("0.00")),
    )
    notes = []
    if batch.pay_date:
        notes.append(f"发放日期{batch.pay_date.year}年{batch.pay_date.month}月{batch.pay_date.day}日")
    adjusted = sum(1 for r in rows if r["adjustments"])
    if adjusted:
        notes.append(f"{adjusted}人含以前批次的调整")
    if batch.state == "draft":
        notes.append("审核后方可发放")
    return dict(
        year=batch.year, quarter=batch.quarter, title=batch_title(batch), batch_no=batch_no(batch),
        state=PAYOUT_STATES.get(batch.state, batch.state), state_note="；".join(notes),
        rows=rows, totals=totals, prepared_by=_name_of(batch.created_by_id),
        reviewed_by=_name_of(batch.reviewed_by_id), approved_by="", prepared_on=clock.today(),
    )


def payout_workbook(batch: PayoutBatch, role: str | None) -> bytes:
    """The finance office's .xlsx of a batch: 发放明细 (full ID numbers) and 服务记录明细.

    Raises :class:`PermissionError` for a role that may not see full ID numbers.
    """
    if not sees_unmasked(role):
        raise PermissionError("只有基础科和系统管理员可以导出含完整身份证号的发放表")
    wb = Workbook()
    ws = wb.active
    ws.title = "发放明细"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    ws.append([batch_title(batch)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:K1")
    ws.append([
        f"批次：{batch_no(batch)}", None, f"状态：{PAYOUT_STATES.get(batch.state, batch.state)}", None,
        f"发放日期：{batch.pay_date:%Y-%m-%d}" if batch.pay_date else "发放日期：未定", None, None,
        f"导出时间：{clock.now():%Y-%m-%d %H:%M}",
    ])
    header = ["序号", "姓名", "身份证号", "工作单位", "发放月份", "服务次数", "应发金额（元）",
              "代扣个人所得税（元）", "实发金额（元）", "类别", "备注"]
    ws.append(header)
    for cell in ws[3]:
        cell.font = bold
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    totals = [0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")]
    for i, line in enumerate(batch_lines(batch), start=1):
        ws.append([
            i, line.name, line.id_number, line.employer, line.pay_month, line.service_count,
            line.gross, line.tax, line.net, "调整" if line.is_adjustment else "服务费", line.note or "",
        ])
        row = ws.max_row
        ws.cell(row, 3).number_format = "@"  # an 18-digit ID number must stay text
        for col in (7, 8, 9):
            ws.cell(row, col).number_format = MONEY_FORMAT
        for col in range(1, 12):
            ws.cell(row, col).border = border
        totals[0] += line.service_count
        totals[1] += line.gross
        totals[2] += line.tax
        totals[3] += line.net
    ws.append(["合计", None, None, None, None, totals[0], totals[1], totals[2], totals[3], None, None])
    row = ws.max_row
    for col in range(1, 12):
        ws.cell(row, col).font = bold
        ws.cell(row, col).border = border
    for col in (7, 8, 9):
        ws.cell(row, col).number_format = MONEY_FORMAT
    for letter, width in zip("ABCDEFGHIJK", (6, 10, 21, 34, 10, 9, 15, 19, 15, 8, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"

    records = wb.create_sheet("服务记录明细")
    records.append(
        ["姓名", "身份证号", "服务日期", "开始时间", "服务类别", "使用单位", "数量", "金额（元）", "计费依据"]
    )
    for cell in records[1]:
        cell.font = bold
    query = (
        select(
            Expert.name, Expert.id_number, ServiceRecord.service_date, ServiceRecord.started_at,
            ServiceRecord.activity, OrgUnit.name, ServiceRecord.units, ServiceRecord.amount, ServiceRecord.basis,
        )
        .join(Expert, Expert.id == ServiceRecord.expert_id)
        .outerjoin(OrgUnit, OrgUnit.id == ServiceRecord.unit_id)
        .where(batch_records_condition(batch))
        .order_by(Expert.name, Expert.id, ServiceRecord.service_date, ServiceRecord.id)
    )
    for name, id_number, day, started, activity, unit, units, amount, basis in db.session.execute(query):
        records.append([
            name, id_number, day, started.strftime("%H:%M") if started and activity == "emergency" else "",
            ACTIVITY_TYPES.get(activity, activity), unit or "",
            int(units) if units == units.to_integral_value() else units, amount, basis or "",
        ])
        row = records.max_row
        records.cell(row, 2).number_format = "@"
        records.cell(row, 3).number_format = "yyyy-mm-dd"
        records.cell(row, 8).number_format = MONEY_FORMAT
    for letter, width in zip("ABCDEFGHI", (10, 21, 12, 9, 14, 30, 6, 12, 44), strict=True):
        records.column_dimensions[letter].width = width
    records.freeze_panes = "A2"
    return workbook_bytes(wb)  # no cell (a name, an employer, a note) is ever a live formula


def workbook_filename(batch: PayoutBatch) -> str:
    """专家服务费发放表_2026年第2季度第1批.xlsx."""
    return f"专家服务费发放表_{batch_no(batch)}.xlsx"


def sheet_filename(batch: PayoutBatch) -> str:
    """专家服务费发放表_2026年第2季度第1批.pdf."""
    return f"专家服务费发放表_{batch_no(batch)}.pdf"


def fee_standard_context(on: dt.date | None = None) -> dict:
    """Context of ``fee_standard.html``: 附件4 with the rows in force on ``on`` (default today)."""
    on = on or clock.today()
    rows = []
    effective = None
    for row in standard_in_force_rows(on):
        remark = row.note or ""
        if row.night_holiday_amount is not None and not remark:
            remark = f"夜间、节假日{row.night_holiday_amount.normalize():f}"
        rows.append(
            dict(
                category=ATTACHMENT4_CATEGORIES.get(row.activity, row.activity_label),
                unit=row.unit_label if row.unit_label.startswith("一") else f"一{count_unit(row.unit_label)}",
                amount=row.amount,
                remark=remark,
            )
        )
        effective = max(effective, row.effective_from) if effective else row.effective_from
    rows.append(dict(category="其他", unit="", amount=None, remark="另行确定"))
    return dict(rows=rows, effective_from=effective)
