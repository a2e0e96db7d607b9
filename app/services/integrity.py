"""Integrity of the records: what no user could have produced through the system (issue 19).

Each check looks for records that contradict each other — a page that would then say
one thing while another page says the opposite. ``findings()`` runs them all and returns
what it found in Chinese; ``flask check-integrity`` prints it (exit status 1 when anything
is found) and the office sees it on its dashboard. A clean database, the demo and the
database after every browser journey find nothing.

The checks, precisely:

1. 已完成的任务没有服务记录 — an assignment registered as completed with attendance
   (``completed_at`` set, ``attended`` true) has no service record (第二十条: the record is
   what fees are paid from; :mod:`app.services.dispatch.completion` makes them together).
2. 随机抽取的任务没有抽取记录 — an assignment chosen by the random draw (``method`` draw)
   has no draw, or its draw did not choose this expert (as drawn or as backup).
3. 已发放批次的服务记录与发放明细不符 — for each regular line of a paid batch, the service
   records linked to it must belong to the line's expert, number ``service_count`` and add
   up to ``gross``.
4. 已解聘专家的工作证未作废 — a permit not revoked whose holder's dismissal is in effect
   (第十三条: the permit is revoked at once).
5. 评价表缺少评分 — an evaluation without item scores, or whose total is not the sum of
   its item scores (附件5).
6. 审计缺口 — a row of a table staff create records in (:data:`AUDITED_TABLES`) that has
   no "create" entry in the audit log. Reference data loaded at installation (groups,
   fee standard, holidays, the 附件5 form, settings) and payout lines (written in bulk
   with their batch, whose own entry covers them) are not in the list; updates and
   deletions cannot be checked this way (an entry that was never written leaves no trace).
7. 加密数据无法解密 — a personal-data value (or 2FA secret) stored encrypted that does not
   decrypt with the installation's keys: altered in the database, moved to another row or
   column, or written under a key that is not configured (app/services/personal_data.py).
   It reads every encrypted value (~20 µs each), so only the command runs it
   (``findings(deep=True)``), not the office's dashboard.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_, select

from app import clock
from app.extensions import db
from app.services import personal_data
from models import (
    Assignment,
    AuditLog,
    Dismissal,
    Draw,
    Evaluation,
    Expert,
    FormAnswer,
    FormField,
    PayoutBatch,
    PayoutLine,
    Permit,
    ServiceRecord,
    UsageRequest,
)

#: Tables whose every row was created by someone through the system and so has an audit
#: entry "create" (app.services.audit), with the Chinese name the finding uses.
AUDITED_TABLES = {
    "org_unit": "单位", "user": "用户", "expert": "专家", "enterprise": "企业", "conflict_of_interest": "回避关系",
    "application": "申请", "review_step": "审核记录", "term": "聘期", "commitment_letter": "承诺书",
    "permit": "工作证", "dismissal": "解聘", "announcement": "公告", "usage_request": "使用申请", "draw": "抽取记录",
    "assignment": "选派", "notice": "告知书", "service_record": "服务记录", "payout_batch": "发放批次",
    "evaluation": "评价表", "follow_up": "回访测评", "violation": "违规记录", "interview": "约谈记录",
    "annual_assessment": "年度考核", "complaint": "投诉举报", "opinion": "意见建议", "enforcement_plan": "执法计划",
}
EXAMPLES = 5  # records named per finding; the count says how many there are


@dataclass(frozen=True)
class Finding:
    """One kind of contradiction and the records that show it."""

    code: str
    title: str
    items: tuple[str, ...] = field(default_factory=tuple)
    count: int = 0

    def __str__(self) -> str:
        shown = "；".join(self.items[:EXAMPLES])
        more = f"等{self.count}处" if self.count > EXAMPLES else f"共{self.count}处"
        return f"{self.title}（{more}）：{shown}"


def _finding(code: str, title: str, items: list[str]) -> Finding | None:
    return Finding(code, title, tuple(items), len(items)) if items else None


def completed_without_record() -> Finding | None:
    """Check 1: completed assignments with attendance and no service record."""
    rows = db.session.execute(
        select(UsageRequest.request_no, Expert.name)
        .select_from(Assignment).join(UsageRequest, UsageRequest.id == Assignment.request_id)
        .join(Expert, Expert.id == Assignment.expert_id)
        .where(Assignment.completed_at.is_not(None), Assignment.attended.is_(True),
               ~exists().where(ServiceRecord.assignment_id == Assignment.id))
        .order_by(UsageRequest.request_no, Expert.name)
    ).all()
    return _finding("completed_without_record", "已完成的任务没有服务记录",
                    [f"{no} {name}" for no, name in rows])


def draw_without_draw() -> Finding | None:
    """Check 2: assignments said to be drawn whose draw is missing or did not choose them."""
    rows = db.session.execute(
        select(UsageRequest.request_no, Expert.name, Assignment.expert_id, Draw.id, Draw.chosen_ids, Draw.backup_ids)
        .select_from(Assignment).join(UsageRequest, UsageRequest.id == Assignment.request_id)
        .join(Expert, Expert.id == Assignment.expert_id)
        .outerjoin(Draw, Draw.id == Assignment.draw_id)
        .where(Assignment.method == "draw")
        .order_by(UsageRequest.request_no, Expert.name)
    ).all()
    items = []
    for no, name, expert_id, draw_id, chosen, backups in rows:
        if draw_id is None:
            items.append(f"{no} {name}（尚无抽取记录）")
        elif expert_id not in set(chosen or []) | set(backups or []):
            items.append(f"{no} {name}（抽取记录中没有该专家）")
    return _finding("draw_without_draw", "随机抽取的任务没有对应的抽取记录", items)


def paid_lines_mismatch() -> Finding | None:
    """Check 3: the records linked to each regular line of a paid batch match the line."""
    lines = db.session.execute(
        select(PayoutLine.id, PayoutLine.expert_id, PayoutLine.service_count, PayoutLine.gross,
               PayoutBatch.year, PayoutBatch.quarter, PayoutBatch.sequence, Expert.name)
        .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
        .join(Expert, Expert.id == PayoutLine.expert_id)
        .where(PayoutBatch.state == "paid", PayoutLine.is_adjustment.is_(False))
        .order_by(PayoutBatch.year, PayoutBatch.quarter, PayoutBatch.sequence, Expert.name)
    ).all()
    linked = defaultdict(list)
    for line_id, expert_id, amount in db.session.execute(
        select(ServiceRecord.payout_line_id, ServiceRecord.expert_id, ServiceRecord.amount)
        .where(ServiceRecord.payout_line_id.in_([line.id for line in lines] or [-1]))
    ):
        linked[line_id].append((expert_id, amount))
    items = []
    for line_id, expert_id, count, gross, year, quarter, sequence, name in lines:
        records = linked[line_id]
        total = sum((a for _, a in records if a is not None), start=type(gross)(0))
        where = f"{year}年第{quarter}季度第{sequence}批 {name}"
        if any(e != expert_id for e, _ in records):
            items.append(f"{where}：明细关联了其他专家的服务记录")
        elif len(records) != count or total != gross:
            items.append(f"{where}：明细{count}条、应发{gross}元，服务记录{len(records)}条、合计{total}元")
    return _finding("paid_lines_mismatch", "已发放批次的服务记录与发放明细不符", items)


def live_permits_of_dismissed(on: dt.date | None = None) -> Finding | None:
    """Check 4: permits not revoked whose holder's dismissal is in effect."""
    on = on or clock.today()
    in_effect = exists().where(Dismissal.expert_id == Permit.expert_id, Dismissal.state == "approved",
                               or_(Dismissal.effective_on.is_(None), Dismissal.effective_on <= on))
    rows = db.session.execute(
        select(Permit.permit_no, Expert.name).join(Expert, Expert.id == Permit.expert_id)
        .where(Permit.revoked_at.is_(None), in_effect).order_by(Expert.name)
    ).all()
    return _finding("live_permits_of_dismissed", "已解聘专家的工作证未作废", [f"{name}（{no}）" for no, name in rows])


def evaluations_without_scores() -> Finding | None:
    """Check 5: evaluations with no item scores, or a total that is not their sum."""
    sums = (select(Evaluation.id.label("evaluation_id"), func.count().label("n"),
                   func.sum(FormAnswer.number).label("total"))
            .join(FormAnswer, FormAnswer.submission_id == Evaluation.submission_id)
            .join(FormField, FormField.id == FormAnswer.field_id).where(FormField.kind == "score")
            .group_by(Evaluation.id).subquery())
    rows = db.session.execute(
        select(Evaluation.id, Evaluation.evaluated_on, Expert.name, Evaluation.total, sums.c.n, sums.c.total)
        .join(Expert, Expert.id == Evaluation.expert_id)
        .outerjoin(sums, sums.c.evaluation_id == Evaluation.id)
        .where(or_(sums.c.n.is_(None), sums.c.total != Evaluation.total))
        .order_by(Evaluation.evaluated_on, Evaluation.id)
    ).all()
    items = [f"{day} {name}（{'没有评分' if n is None else f'总分{total}分，各项合计{summed}分'}）"
             for _id, day, name, total, n, summed in rows]
    return _finding("evaluations_without_scores", "评价表缺少评分或总分与各项评分不符", items)


def audit_gaps() -> Finding | None:
    """Check 6: rows of :data:`AUDITED_TABLES` without a "create" entry in the audit log."""
    items = []
    for table_name, label in AUDITED_TABLES.items():
        table = db.metadata.tables.get(table_name)
        if table is None:
            continue
        # NOT IN over the table's create entries: the list is built once per table (a hash or a
        # temporary index), where a correlated NOT EXISTS probed the log once per row
        created = select(AuditLog.row_id).where(AuditLog.table_name == table_name, AuditLog.action == "create",
                                                AuditLog.row_id.is_not(None))
        missing = db.session.execute(
            select(func.count(), func.min(table.c.id)).select_from(table).where(table.c.id.not_in(created))).one()
        if missing[0]:
            items.append(f"{label}（{table_name}）{missing[0]}条，最早编号{missing[1]}")
    return _finding("audit_gaps", "审计缺口：记录没有创建的审计日志", items)


def unreadable_encrypted_values() -> Finding | None:
    """Check 7: encrypted values that do not decrypt (each named by record and field)."""
    return _finding("unreadable_values", "加密数据无法解密", personal_data.unreadable_values())


CHECKS = (completed_without_record, draw_without_draw, paid_lines_mismatch, live_permits_of_dismissed,
          evaluations_without_scores, audit_gaps)
#: Checks that read every row of a table: the command runs them, the dashboard does not.
DEEP_CHECKS = (unreadable_encrypted_values,)


def findings(deep: bool = False) -> list[Finding]:
    """Every check of this module (with ``deep``, the slow ones too); an empty list means
    the records agree."""
    checks = CHECKS + (DEEP_CHECKS if deep else ())
    return [found for check in checks if (found := check()) is not None]
