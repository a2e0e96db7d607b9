"""The expert's own tasks on the phone: list, accept, decline, declare a conflict, send an opinion."""
import datetime as dt

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.dispatch import draws, usage_requests
from models import ConflictOfInterest, Opinion
from tests import factories
from tests.conftest import csrf_from
from tests.dispatch.records import group_ids


@pytest.fixture
def job(app):
    """A job drawn with one expert and one backup; returns (request, the expert's user, backup id)."""
    experts = [factories.appointed_expert(start=dt.date(2026, 1, 1)) for _ in range(2)]
    unit = factories.org_unit(name="应急管理综合行政执法大队二中队", kind="brigade")
    ent = factories.enterprise(name="常州洛阳冶金铸造有限公司")
    day = clock.today() + dt.timedelta(days=5)
    req = usage_requests.create_request(unit=unit, activity_type="inspection", subject="冶金企业执法检查",
                                        start_date=day, end_date=day, groups=group_ids("化工"), enterprises=[ent],
                                        headcount=1, backups=1)
    record = draws.draw(req)
    chosen = next(e for e in experts if e.id == record.chosen_ids[0])
    user = factories.user(role="expert", expert_=chosen)
    db.session.commit()
    return req, user, record.backup_ids[0]


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_my_tasks_list_and_accept(app, client, auth, job):
    req, user, _ = job
    auth.login(user.username)
    home = _page(client, "/m/")
    assert "我的任务" in home and "1</b>项待答复" in home
    html = _page(client, "/m/tasks")
    assert "待我答复（1）" in html and "冶金企业执法检查" in html and "常州洛阳冶金铸造有限公司" in html
    a = req.assignments[0]
    html = _page(client, f"/m/tasks/{a.id}")
    response = client.post(f"/m/tasks/{a.id}/accept", data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert "已接受任务" in response.get_data(as_text=True)
    db.session.expire_all()
    assert a.response == "accepted" and a.responded_by_id == user.id


def test_decline_with_a_justified_reason_calls_the_backup(app, client, auth, job):
    req, user, backup_id = job
    auth.login(user.username)
    a = req.assignments[0]
    token = csrf_from(_page(client, f"/m/tasks/{a.id}"))
    html = client.post(f"/m/tasks/{a.id}/decline", data={"csrf_token": token, "justified": "1", "reason": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "须说明理由" in html
    client.post(f"/m/tasks/{a.id}/decline", data={"csrf_token": token, "justified": "1", "reason": "在外地出差"})
    db.session.expire_all()
    assert a.response == "declined_justified" and a.response_reason == "在外地出差"
    promoted = next(x for x in req.assignments if x.expert_id == backup_id)
    assert not promoted.is_backup


def test_decline_without_a_reason_is_unjustified(app, client, auth, job):
    req, user, _ = job
    auth.login(user.username)
    a = req.assignments[0]
    token = csrf_from(_page(client, f"/m/tasks/{a.id}"))
    html = client.post(f"/m/tasks/{a.id}/decline", data={"csrf_token": token}, follow_redirects=True)
    assert "计入缺席次数" in html.get_data(as_text=True)
    db.session.expire_all()
    assert a.response == "declined_unjustified"


def test_declare_a_conflict(app, client, auth, job):
    req, user, backup_id = job
    auth.login(user.username)
    a = req.assignments[0]
    ent = req.enterprises[0]
    token = csrf_from(_page(client, f"/m/tasks/{a.id}"))
    client.post(f"/m/tasks/{a.id}/conflict", data={"csrf_token": token, "enterprise_id": str(ent.id),
                                                   "relation": "relative", "note": "配偶在该企业任安全科长"})
    db.session.expire_all()
    row = db.session.scalar(select(ConflictOfInterest))
    assert (row.expert_id, row.enterprise_id, row.relation, row.source) == (
        user.expert_id,
        ent.id,
        "relative",
        "expert",
    )
    assert a.response == "conflict"
    assert not next(x for x in req.assignments if x.expert_id == backup_id).is_backup


def test_someone_elses_task_is_not_found(app, client, auth, job):
    req, _, backup_id = job
    other = factories.user(role="expert")
    db.session.commit()
    auth.login(other.username)
    a = req.assignments[0]
    assert client.get(f"/m/tasks/{a.id}").status_code == 404
    token = csrf_from(_page(client, "/m/opinions"))
    assert client.post(f"/m/tasks/{a.id}/accept", data={"csrf_token": token}).status_code == 404
    assert "目前没有选派给您的任务" in _page(client, "/m/tasks")


def test_staff_cannot_use_the_expert_pages(app, client, login_as):
    login_as("office")
    response = client.get("/m/tasks")
    assert response.status_code == 403 and "仅供专家本人使用" in response.get_data(as_text=True)


def test_send_an_opinion(app, client, auth, job):
    _, user, _ = job
    auth.login(user.username)
    token = csrf_from(_page(client, "/m/opinions"))
    html = client.post("/m/opinions", data={"csrf_token": token, "subject": "", "body": "建议"},
                       follow_redirects=True).get_data(as_text=True)
    assert "请填写主题" in html and db.session.scalar(select(Opinion)) is None
    html = client.post("/m/opinions", data={"csrf_token": token, "subject": "关于抽取通知时间",
                                            "body": "建议至少提前两个工作日通知专家，便于安排工作。"},
                       follow_redirects=True).get_data(as_text=True)
    opinion = db.session.scalar(select(Opinion))
    assert opinion.expert_id == user.expert_id and "关于抽取通知时间" in html and "待答复" in html


def test_the_office_replies_and_the_expert_reads_it(app, client, auth, login_as, job):
    _, user, _ = job
    opinion = Opinion(expert_id=user.expert_id, subject="关于抽取通知时间", body="建议提前两个工作日通知。")
    db.session.add(opinion)
    db.session.commit()
    office = login_as("office")
    listing = client.get("/admin/opinion/").get_data(as_text=True)
    assert "关于抽取通知时间" in listing and "待答复" in listing
    page = client.get(f"/admin/opinion/edit/?id={opinion.id}").get_data(as_text=True)
    assert "建议提前两个工作日通知。" in page and 'name="body"' not in page  # his words are not editable
    client.post(f"/admin/opinion/edit/?id={opinion.id}", data={
        "csrf_token": csrf_from(page), "version": "", "reply": "已采纳，自下月起提前两个工作日通知。"})
    db.session.expire_all()
    stored = db.session.get(Opinion, opinion.id)
    assert (
        stored.reply.startswith("已采纳")
        and stored.replied_at is not None
        and stored.body == "建议提前两个工作日通知。"
    )
    assert office
    auth.logout()
    auth.login(user.username)
    assert "已采纳，自下月起" in _page(client, "/m/opinions")
