"""Penalties bite at once, through the screens (SPEC §3.16): the office verifies a suspension
on its page; the requesting unit sees on its request page, its list and its dashboard that it
must draw again; the expert's phone refuses to accept, with the reason."""
import datetime as dt

import pytest

from app.extensions import db
from app.services.discipline import ladder
from models import Violation
from tests import factories
from tests.conftest import AuthActions, csrf_from
from tests.dispatch.test_withdrawal import TODAY, day, job


@pytest.fixture
def scene(app):
    unit = factories.org_unit(name="应急管理综合行政执法大队一中队", kind="brigade")
    expert = factories.appointed_expert(start=dt.date(2026, 1, 1), name="王建国")
    db.session.add(Violation(expert=expert, found_on=day(-200), finding="未按时到达", state="verified",
                             verified_on=day(-199), sanction="warning", sanction_start=day(-199)))
    office = factories.user(role="office", username="jck")
    staff = factories.user(role="department", username="dadui1", org_unit_=unit)
    me = factories.user(role="expert", username="wjg", expert_=expert)
    open_job = job(unit, expert, day(6), response="accepted")
    draft = ladder.record_violation(expert, TODAY, "以区应急管理局名义向企业推销辅导", today=TODAY)
    db.session.commit()
    return dict(unit=unit, expert=expert, office=office, staff=staff, me=me, job=open_job, draft=draft)


def _client(app, username):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def _verify_on_the_office_page(app, scene):
    office = _client(app, "jck")
    page = office.get(f"/admin/violation/verify/?id={scene['draft'].id}").get_data(as_text=True)
    html = office.post("/admin/violation/verify/", data={
        "csrf_token": csrf_from(page), "id": scene["draft"].id, "verified_on": TODAY.isoformat(),
        "investigation": "经调查属实"}, follow_redirects=True).get_data(as_text=True)
    assert "暂停专家资格" in html and "任务已解除选派" in html


def test_the_unit_sees_it_must_draw_again(app, scene):
    _verify_on_the_office_page(app, scene)
    staff = _client(app, "dadui1")
    req = scene["job"].request
    page = staff.get(f"/admin/usage_request/details/?id={req.id}").get_data(as_text=True)
    assert "须重新抽取" in page and "王建国" in page and "已解除选派" in page
    assert "暂停专家资格" in page and "尚缺 <b>1</b> 名专家" in page
    listing = staff.get("/admin/usage_request/").get_data(as_text=True)
    assert "须重新抽取" in listing
    dashboard = staff.get("/admin/").get_data(as_text=True)
    assert "须重新抽取专家的使用申请" in dashboard


def test_the_expert_cannot_accept_on_his_phone(app, scene):
    _verify_on_the_office_page(app, scene)
    phone = _client(app, "wjg")
    released = scene["job"]
    page = phone.get(f"/m/tasks/{released.id}").get_data(as_text=True)
    assert "已解除选派" in page and "暂停专家资格" in page
    assert f"/m/tasks/{released.id}/accept" not in page  # no button offered
    # a job put to him while suspended (designated by hand): accepting is refused with the reason
    later = job(scene["unit"], scene["expert"], day(20))
    db.session.commit()
    page = phone.get(f"/m/tasks/{later.id}").get_data(as_text=True)
    token = csrf_from(page)
    html = phone.post(f"/m/tasks/{later.id}/accept", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "不可派遣" in html and "暂停" in html and "不能接受本次任务" in html
    # and a hand-made POST for the released job is refused as well
    html = phone.post(f"/m/tasks/{released.id}/accept", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "王建国已被解除本次任务" in html
    db.session.expire_all()
    assert db.session.get(type(later), later.id).response == "pending"
    assert db.session.get(type(released), released.id).response == "withdrawn"
