"""Demo permits and complaints: every appointed demo expert gets a 专家工作证 (第七条),
some of them have been scanned, one card was re-issued (lost), and two enterprises complained."""
import datetime as dt
import hashlib

from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.services.discipline.complaints import file_complaint
from app.services.permits.issuing import current_permit, issue_permit, reissue_permit
from app.services.status import current_term
from models import Dismissal, VerifyScan


def extend_demo(rng, today, units, experts, enterprises):
    """Issue permits for experts in a current term who have none; add scans, a re-issue, complaints."""
    dismissed = set(db.session.scalars(select(Dismissal.expert_id).where(Dismissal.state == "approved")))
    issued = []
    for expert in experts:
        if expert.source != "district" or expert.stage == "dismissed" or expert.id in dismissed:
            continue
        term = current_term(expert, today)
        if term is None:
            continue
        permit = current_permit(expert)
        if permit is None:
            permit = issue_permit(expert, term, on=term.start_date)
            # made when the term was announced, as the office would have done (第七条)
            permit.issued_at = dt.datetime.combine(term.announced_on or term.start_date, dt.time(9, 30),
                                                   tzinfo=dt.timezone(dt.timedelta(hours=8)))
        issued.append(permit)
    if not issued:
        return
    # A lost card: re-issued, so the first token now reads 已作废.
    if len(issued) > 1:
        reissue_permit(issued[1].expert, "遗失补办")
    now = utcnow()
    for permit in rng.sample(issued, k=min(12, len(issued))):
        live = current_permit(permit.expert)
        for _ in range(rng.randint(1, 6)):
            ip = f"demo-{rng.randint(1, 40)}"
            db.session.add(VerifyScan(at=now - dt.timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 600)),
                                      token=live.token, ip_hash=hashlib.sha256(ip.encode()).hexdigest(),
                                      permit_id=live.id, status="valid"))
            live.scan_count = (live.scan_count or 0) + 1
    first, second = issued[0], issued[min(2, len(issued) - 1)]
    file_complaint(
        enterprise_name=enterprises[0].name if enterprises else "常州华润化工有限公司", contact_name="陈经理",
        contact_phone="13861234567", permit_token=current_permit(second.expert).token, today=today,
        body="检查结束后，该专家私下向我公司推荐其所在咨询公司的标准化创建辅导服务，报价三万元，称“不做的话下次检查还会有问题”。",
    )
    complaint = file_complaint(
        enterprise_name=enterprises[1].name if len(enterprises) > 1 else "江苏武进液压启闭机有限公司",
        contact_name="刘主任", contact_phone="0519-86551234", subject=first.expert.name, today=today,
        body="专家在隐患排查时要求我公司购买指定品牌的气体检测仪，并留下了销售人员的电话。",
    )
    complaint.expert_id = first.expert_id
    complaint.state = "handling"
    complaint.handling_note = "已联系企业核实情况，待约谈专家。"
    db.session.flush()
