"""The request flow on the phone: create, candidates, draw, answers, completion, paperwork,
cancel — each on the dispatch services' own rules, each refusal a message that changes nothing."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from models import Assignment, Draw, Enterprise, ServiceRecord, UsageRequest
from tests import factories
from tests.conftest import csrf_from
from tests.dispatch.records import group_ids
from tests.mobile.records import MONDAY, finish, make_job

DAY = dt.timedelta(days=1)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _version(html, action):
    """The ``version`` of the form posting to ``action`` on the page."""
    form = re.search(r'<form[^>]*action="' + re.escape(action) + r'".*?</form>', html, re.S).group(0)
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def _new_form(client, **fields):
    html = _page(client, "/m/requests/new")
    data = {"csrf_token": csrf_from(html), "form_token": re.search(r'name="form_token" value="(\w+)"', html).group(1),
            "activity_type": "inspection", "emergency_reason": "", "subject": "危险化学品企业专项执法检查",
            "start_date": (MONDAY + 2 * DAY).isoformat(), "end_date": (MONDAY + 2 * DAY).isoformat(),
            "groups": [str(g) for g in group_ids("化工")], "headcount": "1", "backups": "1", "op": "create"}
    data.update(fields)
    return data


# --- creating ----------------------------------------------------------------------------------


def test_a_request_is_created_on_the_phone_and_opens_its_page(app, client, inspector, town, pool, enterprise):
    data = _new_form(client, enterprise_ids=[str(enterprise.id)], description="春节前专项检查")
    response = client.post("/m/requests/new", data=data)
    assert response.status_code == 302
    req = db.session.scalar(select(UsageRequest))
    assert response.headers["Location"] == f"/m/requests/{req.id}"
    assert (req.unit_id, req.created_by_id, req.state, req.emergency) == (town.id, inspector.id, "submitted", False)
    assert [e.name for e in req.enterprises] == ["常州华润化工有限公司"] and [g.name for g in req.groups] == ["化工"]
    html = _page(client, response.headers["Location"])
    assert f"使用申请{req.request_no}已提交，请随机抽取专家。" in html
    assert "在<b>4</b>名符合条件的专家中抽取<b>1</b>名" in html


def test_sending_the_same_form_twice_creates_one_request(app, client, inspector, pool, enterprise):
    data = _new_form(client, enterprise_ids=[str(enterprise.id)])
    first = client.post("/m/requests/new", data=data)
    again = client.post("/m/requests/new", data=data, follow_redirects=True)
    assert _count(UsageRequest) == 1
    assert "该申请此前已提交，未重复创建。" in again.get_data(as_text=True)
    assert again.request.path == first.headers["Location"]


def test_an_emergency_is_drawn_at_once_with_its_paperwork_deadline(app, client, inspector, pool, enterprise):
    data = _new_form(client, enterprise_ids=[str(enterprise.id)], emergency_reason="report_check",
                     subject="举报核查：违规动火作业", start_date=MONDAY.isoformat(), end_date=MONDAY.isoformat())
    html = client.post("/m/requests/new", data=data, follow_redirects=True).get_data(as_text=True)
    req = db.session.scalar(select(UsageRequest))
    assert req.emergency and req.state == "dispatched" and req.paperwork_due == dt.date(2026, 6, 11)
    assert "紧急使用：已立即随机抽取1名专家，请2026-06-11前补办使用手续（第十五条）。" in html
    assert "补办期限：<b>2026年6月11日</b>" in html


def test_a_new_enterprise_is_registered_with_the_request(app, client, inspector, town, pool):
    data = _new_form(client, new_name="常州新北精细化学品有限公司", new_uscc=factories.uscc(), new_town=str(town.id))
    assert client.post("/m/requests/new", data=data).status_code == 302
    ent = db.session.scalar(select(Enterprise).where(Enterprise.name == "常州新北精细化学品有限公司"))
    assert ent.town_id == town.id
    assert db.session.scalar(select(UsageRequest)).enterprises == [ent]


@pytest.mark.parametrize(("fields", "message"), [
    ({"subject": ""}, "请填写任务名称。"),
    ({"groups": []}, "请至少选择一个专家组别。"),
    ({"enterprise_ids": []}, "请至少选择一家服务企业（或新建企业）。"),
    ({"start_date": "2026-06-01", "end_date": "2026-06-01"}, "开始日期不能早于今天"),
    ({"end_date": "2026-06-09"}, "结束日期（2026-06-09）不能早于开始日期（2026-06-10）。"),
    ({"start_date": "10/06/2026"}, "开始日期格式不正确"),
    ({"headcount": "9"}, "符合条件的专家只有4名，少于所需的9名。"),
    ({"new_name": "常州新北精细化学品有限公司", "new_uscc": "91320412MA1234567X"}, "统一社会信用代码"),
    ({"new_name": "常州新北精细化学品有限公司"}, "登记新企业须同时填写企业全称和统一社会信用代码。"),
])
def test_bad_input_is_refused_with_the_reason_and_the_form_kept(app, client, inspector, pool, enterprise, fields,
                                                               message):
    data = _new_form(client, enterprise_ids=[str(enterprise.id)], description="保留我写的事由")
    data.update(fields)
    before = _count(Enterprise)
    response = client.post("/m/requests/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "保留我写的事由" in html
    assert (_count(UsageRequest), _count(Enterprise)) == (0, before)


def test_searching_enterprises_without_javascript_keeps_the_form(app, client, inspector, pool, enterprise):
    factories.enterprise(name="江苏武进精细化工股份有限公司")
    factories.enterprise(name="常州天合光能有限公司")
    data = _new_form(client, enterprise_ids=[str(enterprise.id)], q="化工", op="search", subject="写了一半的任务")
    html = client.post("/m/requests/new", data=data).get_data(as_text=True)
    assert _count(UsageRequest) == 0
    picked = html[html.index('id="ent-picked"'):html.index('id="q"')]
    found = html[html.index('id="ent-matches"'):html.index('id="ent-none"')]
    assert "常州华润化工有限公司" in picked and 'checked' in picked
    assert "江苏武进精细化工股份有限公司" in found and "常州华润化工有限公司" not in found and "天合光能" not in found
    assert 'value="写了一半的任务"' in html


def test_the_enterprise_search_answers_json_by_name_or_code(app, client, inspector, enterprise):
    found = client.get("/m/enterprises", query_string={"q": "华润"}).get_json()
    assert [(e["id"], e["name"]) for e in found] == [(enterprise.id, "常州华润化工有限公司")]
    assert client.get("/m/enterprises", query_string={"q": enterprise.uscc[:10]}).get_json()[0]["id"] == enterprise.id
    assert client.get("/m/enterprises", query_string={"q": "%"}).get_json() == []
    assert client.get("/m/enterprises").get_json() == []


# --- the request page, candidates, the draw --------------------------------------------------------


def test_the_candidates_page_gives_the_reason_for_everyone_left_out(app, client, inspector, town, pool, enterprise):
    factories.appointed_expert(name="冯国栋", groups=("机械",), start=dt.date(2026, 1, 1))
    factories.appointed_expert(name="陈静", employer="常州华润化工有限公司", start=dt.date(2026, 1, 1))
    req = make_job(town, enterprise, drawn=False)
    html = _page(client, f"/m/requests/{req.id}/candidates")
    assert "符合条件<b>4</b>名；未入选<b>2</b>名" in html
    assert "组别不符：本次需要化工中任一组别，该专家为机械" in html
    assert "回避：常州华润化工有限公司是该专家的现工作单位（第十条(四)）" in html


def test_the_draw_shows_who_was_drawn_and_the_backup(app, client, inspector, town, pool, enterprise):
    req = make_job(town, enterprise, drawn=False)
    url = f"/m/requests/{req.id}"
    html = _page(client, url)
    response = client.post(f"{url}/draw", data={"csrf_token": csrf_from(html),
                                                "version": _version(html, f"{url}/draw")}, follow_redirects=True)
    page = response.get_data(as_text=True)
    record = db.session.scalar(select(Draw))
    drawn, backup = record.chosen_ids[0], record.backup_ids[0]
    names = {e.id: e.name for e in pool}
    assert "已随机抽取1名专家、1名候补" in page
    assert re.search(r'<div class="name">' + names[drawn] + r' <span class="pill warn">待答复</span>', page)
    assert f"<li>{names[backup]}</li>" in page
    assert record.seed in page


def test_a_second_tap_on_the_draw_is_refused(app, client, inspector, town, pool, enterprise):
    req = make_job(town, enterprise, drawn=False)
    url = f"/m/requests/{req.id}"
    html = _page(client, url)
    data = {"csrf_token": csrf_from(html), "version": _version(html, f"{url}/draw")}
    client.post(f"{url}/draw", data=data)
    again = client.post(f"{url}/draw", data=data, follow_redirects=True).get_data(as_text=True)
    assert _count(Draw) == 1 and _count(Assignment) == 2
    assert "该记录刚刚已被更新" in again


# --- answers and completion -------------------------------------------------------------------------


def _expert_on(req):
    return next(a for a in req.assignments if not a.is_backup)


def test_recording_the_experts_acceptance(app, client, inspector, job):
    a = _expert_on(job)
    url = f"/m/requests/{job.id}"
    html = _page(client, url)
    action = f"{url}/respond/{a.id}"
    page = client.post(action, data={"csrf_token": csrf_from(html), "version": _version(html, action),
                                     "response": "accepted"}, follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert a.response == "accepted" and a.responded_by_id == inspector.id
    assert f"已记录{a.expert.name}的答复：已接受。" in page
    assert "2026年6月10日开始工作后可登记完成情况。" in page


def test_a_justified_decline_needs_a_reason_and_calls_the_backup(app, client, inspector, job):
    a = _expert_on(job)
    backup = next(x for x in job.assignments if x.is_backup)
    url = f"/m/requests/{job.id}"
    html = _page(client, url)
    action = f"{url}/respond/{a.id}"
    data = {"csrf_token": csrf_from(html), "version": _version(html, action), "response": "declined_justified"}
    page = client.post(action, data=data, follow_redirects=True).get_data(as_text=True)
    assert "有正当理由拒绝的，须说明理由。" in page
    db.session.expire_all()
    assert a.response == "pending"
    page = client.post(action, data={**data, "reason": "当天在外地出差"}, follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert a.response == "declined_justified" and not backup.is_backup
    assert f"已由候补专家{backup.expert.name}递补，请联系其答复。" in page


def test_a_conflict_declared_by_telephone_is_recorded(app, client, inspector, job, enterprise):
    a = _expert_on(job)
    url = f"/m/requests/{job.id}"
    html = _page(client, url)
    action = f"{url}/respond/{a.id}"
    client.post(action, data={"csrf_token": csrf_from(html), "version": _version(html, action),
                              "response": "conflict", "enterprise_id": str(enterprise.id),
                              "relation": "former_employer", "reason": "2019年前在该企业任职"})
    db.session.expire_all()
    assert a.response == "conflict" and "与常州华润化工有限公司存在利害关系" in a.response_reason


def test_completion_makes_the_service_record_and_offers_the_evaluation(app, client, inspector, town, pool,
                                                                        enterprise):
    req = make_job(town, enterprise, start=MONDAY - 2 * DAY, today=MONDAY - 2 * DAY, days=2)
    a = finish(req, complete=False)
    url = f"/m/requests/{req.id}"
    html = _page(client, url)
    action = f"{url}/complete/{a.id}"
    assert "登记完成情况" in html
    page = client.post(action, data={"csrf_token": csrf_from(html), "version": _version(html, action),
                                     "attended": "1", "units": "2", "service_date": (MONDAY - 2 * DAY).isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    record = db.session.scalar(select(ServiceRecord))
    assert (record.assignment_id, record.units, record.unit_id) == (a.id, 2, town.id)
    assert f"已登记{a.expert.name}完成：2天，已生成服务记录。" in page
    assert f'href="/m/score/new?assignment={a.id}">填写专家评价表' in page
    db.session.expire_all()
    assert req.state == "completed"


def test_completion_refuses_half_days_and_future_days(app, client, inspector, town, pool, enterprise):
    req = make_job(town, enterprise, start=MONDAY, days=2)
    a = finish(req, complete=False)
    url = f"/m/requests/{req.id}"
    html = _page(client, url)
    action = f"{url}/complete/{a.id}"
    base = {"csrf_token": csrf_from(html), "version": _version(html, action), "attended": "1"}
    page = client.post(action, data={**base, "units": "1.5", "service_date": MONDAY.isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    assert "天数/次数/起数必须是正整数：1.5" in page
    page = client.post(action, data={**base, "units": "1", "service_date": (MONDAY + DAY).isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    assert "服务日期不能晚于今天" in page
    assert _count(ServiceRecord) == 0


def test_an_absent_expert_is_recorded_as_a_no_show(app, client, inspector, town, pool, enterprise):
    req = make_job(town, enterprise, start=MONDAY)
    a = finish(req, complete=False)
    url = f"/m/requests/{req.id}"
    html = _page(client, url)
    action = f"{url}/complete/{a.id}"
    client.post(action, data={"csrf_token": csrf_from(html), "version": _version(html, action), "attended": "0"})
    db.session.expire_all()
    assert a.response == "no_show" and a.attended is False and _count(ServiceRecord) == 0


def test_a_stale_form_is_refused(app, client, inspector, job):
    a = _expert_on(job)
    url = f"/m/requests/{job.id}"
    html = _page(client, url)
    action = f"{url}/respond/{a.id}"
    # Meanwhile the expert accepts on his own phone.
    from app.services.dispatch import responses

    responses.respond(a, "accepted", by_expert=True)
    db.session.commit()
    page = client.post(action, data={"csrf_token": csrf_from(html), "version": _version(html, action),
                                     "response": "no_show"}, follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert a.response == "accepted"
    assert "该记录刚刚已被更新" in page


# --- paperwork and cancelling -------------------------------------------------------------------------


def test_emergency_paperwork_is_completed_from_the_request_page(app, client, inspector, town, pool, enterprise):
    req = make_job(town, enterprise, start=MONDAY, emergency_reason="supervision", drawn=False)
    url = f"/m/requests/{req.id}"
    html = _page(client, url)
    action = f"{url}/paperwork"
    data = {"csrf_token": csrf_from(html), "version": _version(html, action), "note": "短"}
    assert "理由过于简单" in client.post(action, data=data, follow_redirects=True).get_data(as_text=True)
    client.post(action, data={**data, "note": "督查组现场要求，已报分管局领导同意"})
    db.session.expire_all()
    assert req.paperwork_done_at is not None and "督查组现场要求" in req.description


def test_cancelling_releases_the_experts(app, client, inspector, job):
    url = f"/m/requests/{job.id}"
    html = _page(client, url)
    action = f"{url}/cancel"
    client.post(action, data={"csrf_token": csrf_from(html), "version": _version(html, action),
                              "reason": "企业停产，检查取消"})
    db.session.expire_all()
    assert job.state == "cancelled" and job.assignments == []


# --- another unit's request -----------------------------------------------------------------------------


def test_another_units_request_does_not_exist_for_this_unit(app, client, inspector, other_town, pool, enterprise):
    req = make_job(other_town, enterprise)
    a = _expert_on(req)
    token = csrf_from(_page(client, "/m/requests/new"))
    base = f"/m/requests/{req.id}"
    for url in (base, f"{base}/candidates"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base}/draw", f"{base}/respond/{a.id}", f"{base}/complete/{a.id}", f"{base}/paperwork",
                f"{base}/cancel", f"{base}/notices"):
        assert client.post(url, data={"csrf_token": token, "version": "1", "response": "accepted",
                                      "reason": "试图取消别人的申请"}).status_code == 404, url
    db.session.expire_all()
    assert req.state == "dispatched" and a.response == "pending"
    assert "危险化学品企业专项执法检查" not in _page(client, "/m/requests")


def test_an_assignment_of_another_request_is_not_found(app, client, inspector, town, pool, enterprise):
    mine = make_job(town, enterprise)
    other = make_job(town, enterprise, start=MONDAY + 5 * DAY)
    a = _expert_on(other)
    html = _page(client, f"/m/requests/{mine.id}")
    response = client.post(f"/m/requests/{mine.id}/respond/{a.id}",
                           data={"csrf_token": csrf_from(html), "version": "1", "response": "accepted"})
    assert response.status_code == 404


def test_forms_without_the_csrf_token_are_refused(app, client, inspector, job):
    response = client.post(f"/m/requests/{job.id}/draw", data={"version": str(job.version)})
    assert response.status_code == 400
    assert client.post("/m/requests/new", data={"subject": "x"}).status_code == 400
