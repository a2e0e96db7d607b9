"""Demo permits and complaints: every appointed expert got his 专家工作证 with the appointment
(第七条, :func:`app.services.lifecycle.terms.start_term`); here enterprises scan some of them on
the verify page, one lost card is re-issued, and two enterprises complain."""
import datetime as dt

from flask import current_app

from app import clock
from app.demo.moments import at
from app.extensions import db
from app.services.discipline.complaints import file_complaint
from app.services.permits.issuing import current_permit, mark_printed, reissue_permit, unprinted_query
from app.services.permits.verification import check_permit
from app.services.status import current_term
from models import Complaint

#: Cards issued longer ago than this were printed by the office in the demo (all but the last batch).
PRINTED_AFTER_DAYS = 20


def extend_demo(rng, today, units, experts, enterprises):
    """Scans of live permits over the last months, a re-issue, complaints (one being handled)."""
    holders = [e for e in experts if current_term(e, today) is not None and current_permit(e) is not None]
    if not holders:
        return
    # A lost card: re-issued, so the first token now reads 已作废.
    if len(holders) > 1:
        with at(today - dt.timedelta(days=130), 14):
            reissue_permit(holders[1], "遗失补办")
    # The office printed and handed out the cards a few days after each appointment; only the
    # last appointment's cards still wait in its queue (待我处理 → 工作证待打印).
    issued = db.session.scalars(unprinted_query()).all()
    days = sorted({clock.local_date(p.issued_at) for p in issued})
    for day in days[:-1]:
        if day < today - dt.timedelta(days=PRINTED_AFTER_DAYS):
            with at(day + dt.timedelta(days=2), 10):
                mark_printed([p for p in issued if clock.local_date(p.issued_at) == day])
    secret = current_app.config.get("SECRET_KEY") or ""
    moments = []
    for expert in rng.sample(holders, k=min(12, len(holders))):
        for _ in range(rng.randint(1, 6)):
            moments.append((today - dt.timedelta(days=rng.randint(0, 120)), rng.randint(8, 17), rng.randint(0, 59),
                            expert, f"demo-{rng.randint(1, 40)}"))
    for day, hour, minute, expert, ip in sorted(moments, key=lambda m: (m[0], m[1], m[2])):
        with at(day, hour, minute):  # an enterprise scans the QR code on the card
            check_permit(current_permit(expert).token, ip=ip, secret=secret)
    first, second = holders[0], holders[min(2, len(holders) - 1)]
    with at(today - dt.timedelta(days=16), 10, 12):
        file_complaint(
            enterprise_name=enterprises[0].name if enterprises else "常州华润化工有限公司", contact_name="陈经理",
            contact_phone="13861234567", permit_token=current_permit(second).token, today=today - dt.timedelta(days=16),
            body="检查结束后，该专家私下向我公司推荐其所在咨询公司的标准化创建辅导服务，报价三万元，称“不做的话下次检查还会有问题”。",
        )
    with at(today - dt.timedelta(days=9), 16, 40):
        complaint = file_complaint(
            enterprise_name=enterprises[1].name if len(enterprises) > 1 else "江苏武进液压启闭机有限公司",
            contact_name="刘主任", contact_phone="0519-86551234", subject=first.name,
            today=today - dt.timedelta(days=9),
            body="专家在隐患排查时要求我公司购买指定品牌的气体检测仪，并留下了销售人员的电话。",
        )
    with at(today - dt.timedelta(days=7), 9, 20):  # 基础科 takes it up on the complaint's edit form
        complaint = db.session.get(Complaint, complaint.id)
        complaint.expert_id = first.id
        complaint.state = "handling"
        complaint.handling_note = "已联系企业核实情况，待约谈专家。"
        db.session.flush()
