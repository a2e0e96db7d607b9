"""The call and message buttons of the request page (SPEC §3.15): a POST that logs, then hands
the phone the tel:/sms: address; the page itself shows only the masked number."""
import re
from urllib.parse import unquote

from sqlalchemy import func, select

from app.extensions import db
from models import AuditLog
from tests.conftest import csrf_from
from tests.mobile.records import make_job


def _logged(action):
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))


def _on_job(req):
    return next(a for a in req.assignments if not a.is_backup)


def test_the_page_offers_call_and_message_but_shows_the_number_masked(app, client, inspector, job):
    a = _on_job(job)
    backup = next(x for x in job.assignments if x.is_backup)
    html = client.get(f"/m/requests/{job.id}").get_data(as_text=True)
    assert f'action="/m/assignments/{a.id}/contact/call"' in html
    assert f'action="/m/assignments/{a.id}/contact/sms"' in html
    assert f"手机 {a.expert.mobile[:3]}****{a.expert.mobile[-4:]}" in html
    assert a.expert.mobile not in html and backup.expert.mobile not in html
    assert "tel:" not in html
    assert f"/m/assignments/{backup.id}/contact/" not in html  # a backup not yet called


def test_calling_logs_then_opens_the_dialler(app, client, inspector, job):
    a = _on_job(job)
    token = csrf_from(client.get(f"/m/requests/{job.id}").get_data(as_text=True))
    response = client.post(f"/m/assignments/{a.id}/contact/call", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"tel:{a.expert.mobile}"
    assert response.headers["Cache-Control"] == "no-store"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "call"))
    assert (entry.user_id, entry.table_name, entry.row_id) == (inspector.id, "assignment", a.id)
    assert entry.client_addr == "127.0.0.1"  # the test client's address


def test_messaging_fills_in_the_task(app, client, inspector, job):
    a = _on_job(job)
    token = csrf_from(client.get(f"/m/requests/{job.id}").get_data(as_text=True))
    location = client.post(f"/m/assignments/{a.id}/contact/sms", data={"csrf_token": token}).headers["Location"]
    assert location.startswith(f"sms:{a.expert.mobile}?&body=")
    body = unquote(location.split("body=", 1)[1])
    assert body.startswith(f"{a.expert.name}专家您好：湖塘镇邀请您参加执法检查任务“危险化学品企业专项执法检查”。")
    assert "时间：2026年6月10日" in body and "常州华润化工有限公司（武进区湖塘镇长虹路8号）" in body
    assert job.request_no in body
    assert _logged("sms") == 1


def test_a_backup_or_a_released_expert_is_not_dialled(app, client, inspector, job):
    backup = next(x for x in job.assignments if x.is_backup)
    token = csrf_from(client.get(f"/m/requests/{job.id}").get_data(as_text=True))
    response = client.post(f"/m/assignments/{backup.id}/contact/call", data={"csrf_token": token},
                           follow_redirects=True)
    assert "候补专家尚未递补，暂不联系。" in response.get_data(as_text=True)
    assert response.request.path == f"/m/requests/{job.id}"
    assert _logged("call") == 0


def test_another_units_expert_is_not_found(app, client, inspector, other_town, pool, enterprise):
    req = make_job(other_town, enterprise)
    token = csrf_from(client.get("/m/requests/new").get_data(as_text=True))
    response = client.post(f"/m/assignments/{_on_job(req).id}/contact/call", data={"csrf_token": token})
    assert response.status_code == 404 and _logged("call") == 0


def test_it_cannot_be_triggered_by_a_link_or_another_site(app, client, inspector, job):
    a = _on_job(job)
    assert client.get(f"/m/assignments/{a.id}/contact/call").status_code == 405
    assert client.post(f"/m/assignments/{a.id}/contact/call").status_code == 400  # no CSRF token
    assert _logged("call") == 0


def test_roles_without_the_right_are_refused(app, client, login_as, job):
    login_as("office")
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    response = client.post(f"/m/assignments/{_on_job(job).id}/contact/call", data={"csrf_token": token})
    assert response.status_code == 403 and _logged("call") == 0


def test_the_experts_own_task_page_and_the_admin_keep_the_number_masked(app, client, inspector, job):
    a = _on_job(job)
    html = client.get(f"/admin/usage_request/details/?id={job.id}").get_data(as_text=True)
    assert a.expert.mobile not in html
    assert not re.search(r"tel:\d", html)
