"""The phone scoring page over HTTP: a plain form that works without JavaScript, the JSON
answers the offline queue relies on, and who may use it."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.services.scoring import evaluations as scoring
from models import Evaluation
from tests import factories
from tests.conftest import csrf_from
from tests.scoring import records
from tests.scoring.records import form_fields, full_scores, item_at

JSON = {"Accept": "application/json"}


def _count():
    return db.session.scalar(select(func.count()).select_from(Evaluation))


def _login_scorer(login_as, role="department"):
    unit = records.unit("brigade" if role == "department" else "town" if role == "town" else "section")
    return login_as(role, org_unit_=unit)


def _post(client, data, **kw):
    page = client.get("/m/score/new")
    data = {**data, "csrf_token": csrf_from(page.get_data(as_text=True))}
    return client.post("/m/score/new", data=data, **kw)


def test_the_empty_form_shows_every_item_with_its_maximum_and_both_variants(client, login_as):
    factories.appointed_expert(name="王建国")
    _login_scorer(login_as)
    html = client.get("/m/score/new").get_data(as_text=True)
    form = scoring.current_form()
    for item in form.fields:
        if item.kind != "score":
            continue
        assert f'name="f_{item.key}"' in html
        assert f'max="{item.max_score}"' in html
        assert f'name="n_{item.key}"' in html
    assert "态度诚恳，沟通顺畅<span class=\"max\">（5分）</span>" in html
    assert "配合区、镇开展安全生产工作情况考评" in html and "对企业开展业务服务质量考评" in html
    assert "王建国" in html and "意见和建议" in html and "纸质表补录" in html
    assert "<script>" not in html  # CSP: no inline script


def test_a_plain_post_saves_and_shows_the_total(client, login_as):
    user = _login_scorer(login_as)
    expert = factories.appointed_expert(name="李志强")
    form = scoring.current_form()
    scores = full_scores(form)
    scores[item_at(form, 4).id] = 7
    response = _post(client, form_fields(form, expert_id=expert.id, scores=scores))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "评价表已提交，总分 97 分。" in page
    ev = db.session.scalar(select(Evaluation))
    assert (ev.total, ev.unit_id, ev.expert_id) == (97, user.org_unit_id, expert.id)


def test_the_total_sent_by_a_client_is_ignored(client, login_as):
    _login_scorer(login_as)
    expert = factories.appointed_expert()
    form = scoring.current_form()
    response = _post(client, form_fields(form, expert_id=expert.id, total="100", variant="B",
                                         scores={**full_scores(form, "B"), item_at(form, 1, "B").id: 0}),
                     headers=JSON)
    assert response.status_code == 201
    assert response.json["total"] == 95
    assert db.session.get(Evaluation, response.json["id"]).total == 95


def test_a_refused_post_shows_every_problem_and_keeps_what_was_typed(client, login_as):
    _login_scorer(login_as)
    expert = factories.appointed_expert()
    form = scoring.current_form()
    scores = full_scores(form)
    scores[item_at(form, 2).id] = "12"
    scores[item_at(form, 9, "B").id] = "3"
    data = form_fields(form, expert_id=expert.id, scores=scores, f_suggestions="建议加强学习")
    data[f"n_{item_at(form, 2).key}"] = "隐患分析不到位"
    response = _post(client, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "评价表未能保存，请修改" in html
    assert "的评分12分超过该项满分10分" in html
    assert "考评对象二选一" in html
    assert "12分超过该项满分10分，未计入合计" in html  # said beside the item too
    assert 'value="12"' in html and "隐患分析不到位" in html and "建议加强学习" in html
    assert f'name="client_uuid" value="{data["client_uuid"]}"' in html
    assert _count() == 0


def test_json_refusals_list_the_problems(client, login_as):
    _login_scorer(login_as)
    form = scoring.current_form()
    scores = full_scores(form)
    del scores[item_at(form, 5).id]
    response = _post(client, form_fields(form, expert_id=factories.appointed_expert().id, scores=scores,
                                         variant=""), headers=JSON)
    assert response.status_code == 422
    assert response.json["ok"] is False
    assert any("请选择考评对象" in e for e in response.json["errors"])
    assert any(e.startswith("第5项未评分") for e in response.json["errors"])


def test_sending_twice_creates_one_evaluation(client, login_as):
    _login_scorer(login_as)
    form = scoring.current_form()
    data = form_fields(form, expert_id=factories.appointed_expert().id)
    first = _post(client, data, headers=JSON)
    replay = _post(client, data, headers=JSON)  # a retry after a lost answer
    plain = _post(client, data)                  # a double tap without JavaScript
    assert (first.status_code, replay.status_code, plain.status_code) == (201, 200, 302)
    assert replay.json["id"] == first.json["id"] and replay.json["created"] is False
    assert _count() == 1
    page = client.get(plain.headers["Location"]).get_data(as_text=True)
    assert "该评价表此前已提交，未重复保存。" in page


def test_scoring_from_an_assignment_prefills_the_form(client, login_as):
    user = _login_scorer(login_as)
    ent = factories.enterprise(name="常州华润化工有限公司")
    job = records.job(user.org_unit, expert=factories.appointed_expert(name="张海涛"), enterprises=[ent])
    index = client.get("/m/score").get_data(as_text=True)
    assert f"/m/score/new?assignment={job.id}" in index and "张海涛" in index
    html = client.get(f"/m/score/new?assignment={job.id}").get_data(as_text=True)
    assert "张海涛" in html
    assert 'value="常州华润化工有限公司"' in html
    assert 'value="执法检查：危险化学品企业专项执法检查"' in html
    assert re.search(r'name="g_1" value="A" required checked', html)
    response = _post(client, form_fields(scoring.current_form(), assignment_id=job.id), headers=JSON)
    assert response.status_code == 201
    assert db.session.get(Evaluation, response.json["id"]).enterprise_id == ent.id
    assert f"/m/score/new?assignment={job.id}" not in client.get("/m/score").get_data(as_text=True)


def test_another_units_assignment_is_not_found(client, login_as):
    _login_scorer(login_as)
    job = records.job(records.unit("brigade"))
    assert client.get(f"/m/score/new?assignment={job.id}").status_code == 404
    assert client.get("/m/score/new?assignment=abc").status_code == 404


def test_an_evaluation_page_is_shown_to_its_own_unit_only(client, login_as):
    other = records.evaluation(records.scorer("town"))
    _login_scorer(login_as)
    assert client.get(f"/m/score/{other.id}").status_code == 404


@pytest.mark.parametrize("role", ["expert", "leader", "sysadmin"])
def test_other_roles_cannot_score(client, login_as, role):
    login_as(role)
    assert client.get("/m/score").status_code == 403
    assert client.get("/m/score/new").status_code == 403
    response = client.post("/m/score/new", data={}, headers=JSON)
    assert response.status_code in (400, 403)  # CSRF first, then the role


def test_anonymous_json_clients_get_401_and_browsers_the_login_page(client):
    assert client.get("/m/score/token", headers=JSON).status_code == 401
    assert client.get("/m/score/token", headers=JSON).json["login"] is True
    response = client.get("/m/score/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_token_for_a_queue_sent_later(client, login_as):
    user = _login_scorer(login_as)
    response = client.get("/m/score/token", headers=JSON)
    assert response.json["user"] == user.id and response.json["csrf_token"]
    assert response.headers["Cache-Control"] == "no-store"
    form = scoring.current_form()
    data = {**form_fields(form, expert_id=factories.appointed_expert().id), "csrf_token": response.json["csrf_token"]}
    assert client.post("/m/score/new", data=data, headers=JSON).status_code == 201


def test_the_service_worker_is_served_for_the_scoring_pages(client, login_as):
    _login_scorer(login_as)
    response = client.get("/m/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/m/"
    assert "form-queue" in response.get_data(as_text=True)


def test_office_enters_a_paper_form_for_a_town(client, login_as):
    office_unit = records.unit("section", "安全生产基础科")
    login_as("office", org_unit_=office_unit)
    town = records.unit("town", "牛塘镇")
    html = client.get("/m/score/new?paper=1").get_data(as_text=True)
    assert "填表单位" in html and "纸质表报送日期" in html and 'id="is_paper" checked' in html
    form = scoring.current_form()
    response = _post(client, form_fields(form, expert_id=factories.appointed_expert().id, is_paper="1",
                                         unit_id=str(town.id)), headers=JSON)
    assert response.status_code == 201
    ev = db.session.get(Evaluation, response.json["id"])
    assert (ev.unit_id, ev.is_paper) == (town.id, True)


def test_the_phone_home_links_to_scoring_for_scorers_only(client, login_as):
    _login_scorer(login_as, "town")
    assert "/m/score" in client.get("/m/").get_data(as_text=True)


def test_the_phone_home_has_no_scoring_link_for_experts(client, login_as):
    login_as("expert")
    assert "/m/score" not in client.get("/m/").get_data(as_text=True)



def test_a_refused_form_is_answered_while_another_request_holds_the_write_lock(tmp_path):
    """Parsing and checking a form take no write lock (SQLite: one writer at a time), so a form
    with a mistake is answered at once even while another phone's evaluation is being
    written — before, it waited for the lock and ended in 500 (database is locked)."""
    import sqlite3

    from app import create_app
    from app.services.reference import ensure_reference_data

    path = tmp_path / "lock.sqlite3"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "UPLOAD_DIR": str(tmp_path / "up")})
    with app.app_context():
        db.create_all()
        ensure_reference_data()
        user = factories.user(role="town", org_unit_=records.unit("town"))
        username = user.username
        form = scoring.current_form()
        scores = full_scores(form)
        del scores[item_at(form, 5).id]
        fields = form_fields(form, expert_id=factories.appointed_expert().id, scores=scores)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    login = client.post("/login", data={"username": username, "password": factories.PASSWORD,
                                        "csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    assert login.status_code == 302
    data = {**fields, "csrf_token": csrf_from(client.get("/m/score/new").get_data(as_text=True))}
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)  # another worker, writing
    other.execute("BEGIN IMMEDIATE")
    try:
        response = client.post("/m/score/new", data=data, headers=JSON)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 422
    assert any(e.startswith("第5项未评分") for e in response.json["errors"])
