"""Calling or messaging a drawn expert (第十条(三), SPEC §3.15): only the requesting unit's
staff, only for an expert on the job, each use audited; the task's text for the message."""
import datetime as dt
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from app.services.dispatch import contact, draws, responses, usage_requests
from app.services.errors import DomainError
from models import AuditLog
from tests import factories
from tests.dispatch.records import MONDAY, pool


@pytest.fixture
def job(app, town):
    pool(3)
    ent = factories.enterprise(name="常州华润化工有限公司", address="武进区湖塘镇长虹路8号")
    req = usage_requests.create_request(
        unit=town, activity_type="inspection", subject="危险化学品企业专项执法检查", start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=1), groups=[factories.group("化工").id], enterprises=[ent], headcount=1,
        backups=1, today=MONDAY - dt.timedelta(days=7))
    draws.draw(req)
    return req


def _on_job(req):
    return next(a for a in req.assignments if not a.is_backup)


def _backup(req):
    return next(a for a in req.assignments if a.is_backup)


def test_the_units_staff_may_contact_the_expert_on_its_job(job, town):
    staff = factories.user(role="town", org_unit_=town)
    a = _on_job(job)
    assert contact.contact_refusal(staff, a) is None
    responses.respond(a, "accepted")
    assert contact.may_contact(staff, a)


@pytest.mark.parametrize(("who", "message"), [
    ("other_unit", "只能联系本单位任务选派的专家。"),
    ("office", "只有使用单位的工作人员可以联系本单位任务选派的专家。"),
    ("leader", "只有使用单位的工作人员可以联系本单位任务选派的专家。"),
    ("expert", "只有使用单位的工作人员可以联系本单位任务选派的专家。"),
])
def test_nobody_else_may(job, who, message):
    if who == "other_unit":
        user = factories.user(role="town", org_unit_=factories.org_unit(name="牛塘镇", kind="town"))
    else:
        user = factories.user(role=who)
    assert contact.contact_refusal(user, _on_job(job)) == message


def test_not_a_backup_until_called_nor_an_expert_who_declined(job, town):
    staff = factories.user(role="town", org_unit_=town)
    backup = _backup(job)
    assert contact.contact_refusal(staff, backup) == "候补专家尚未递补，暂不联系。"
    a = _on_job(job)
    responses.respond(a, "declined_justified", reason="在外地出差")
    assert contact.contact_refusal(staff, a) == "该专家的答复为“有正当理由拒绝”，已不在本次任务中。"
    assert not backup.is_backup and contact.may_contact(staff, backup)  # called in: now on the job


def test_not_on_a_cancelled_request(job, town):
    staff = factories.user(role="town", org_unit_=town)
    job.state = "cancelled"
    assert contact.contact_refusal(staff, _on_job(job)) == "该申请已取消，不能再联系专家。"


def test_the_message_says_who_where_when_and_the_task_number(job):
    a = _on_job(job)
    text = contact.task_message(a)
    assert text.startswith(f"{a.expert.name}专家您好：湖塘镇邀请您参加执法检查任务“危险化学品企业专项执法检查”。")
    assert "时间：2026年6月8日至6月9日" in text
    assert "地点：常州华润化工有限公司（武进区湖塘镇长虹路8号）" in text
    assert f"任务编号：{job.request_no}。" in text and "请登录专家库手机端答复是否参加。" in text


def test_each_use_is_audited_and_answers_the_full_number(job, town, db):
    staff = factories.user(role="town", org_unit_=town, username="zhangwei")
    a = _on_job(job)
    assert contact.record_contact(staff, a, "call") == f"tel:{a.expert.mobile}"
    sms = contact.record_contact(staff, a, "sms")
    number, body = sms[len("sms:"):].split("?&body=")
    assert number == a.expert.mobile and unquote(body) == contact.task_message(a)
    db.session.commit()  # audit entries are chained when the caller commits
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.action.in_(("call", "sms"))).order_by(AuditLog.id)).all()
    assert [(e.action, e.table_name, e.row_id) for e in entries] == [("call", "assignment", a.id),
                                                                      ("sms", "assignment", a.id)]
    assert entries[0].summary == f"拨打电话：{a.expert.name}（{job.request_no} 危险化学品企业专项执法检查）"
    # the log keeps the number masked, like every other phone in it
    assert entries[0].changes["mobile"] == [None, a.expert.mobile[:3] + "****" + a.expert.mobile[-4:]]


def test_a_refused_use_writes_nothing(job, db):
    stranger = factories.user(role="town", org_unit_=factories.org_unit(name="牛塘镇", kind="town"))
    with pytest.raises(DomainError, match="只能联系本单位任务选派的专家"):
        contact.record_contact(stranger, _on_job(job), "call")
    db.session.commit()
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "call")) is None


def test_an_expert_without_a_valid_mobile_cannot_be_called(job, town):
    staff = factories.user(role="town", org_unit_=town)
    a = _on_job(job)
    a.expert.mobile = "0519-86310627"
    assert contact.contact_refusal(staff, a) == "该专家没有登记有效的手机号码，请联系基础科。"
