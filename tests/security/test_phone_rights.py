"""Every route of the phone workspace (/m/ of towns and departments) against the rights table,
for anonymous users and each role, GET and POST (CTFd style, like the admin walk).

Each such route declares its row and action (``app.mobile.access.unit_page``); the walk reads
the rules from ``app.url_map``, so a route added later is walked too, and a ``/m/`` route that
declares nothing fails :func:`test_every_phone_route_declares_its_right` unless it belongs to
the pages of other people listed there. Per role:

- without the right: 403, and a refused POST changes no table;
- with it: the unit's own rows answer (200 or a redirect inside the site, never the login);
- another unit's request, assignment or notice: 404, and a refused POST changes no table;
- anonymous: the login page.
"""
import datetime as dt

import pytest
from sqlalchemy import func, select

from app import clock
from app.auth.rights import allowed
from app.extensions import db
from app.services.dispatch import notices
from tests import factories
from tests.conftest import csrf_from
from tests.mobile.records import finish, make_job

ROLES = ["sysadmin", "secadmin", "auditor", "office", "department", "town", "leader", "expert"]
# /m/ routes that are not the unit workspace, with their own guards and tests (scoring, the
# expert's own pages, the home page and the desktop/phone switch, and the forms the office built,
# whose fillers a form's own definition decides: tests/forms).
OTHER_PHONE_PAGES = {
    "mobile.home", "mobile.switch", "mobile.score_index", "mobile.score_new", "mobile.score_submit",
    "mobile.score_token", "mobile.score_show", "mobile.score_service_worker", "mobile.statement", "mobile.tasks",
    "mobile.task", "mobile.accept", "mobile.decline", "mobile.conflict", "mobile.opinions",
    "mobile.form_index", "mobile.form_new", "mobile.form_submit", "mobile.form_show", "mobile.form_file",
    "mobile.form_token", "mobile.service_worker",
    "mobile.permit", "mobile.evaluations",  # the expert's own pages (expert_required, tests in permits/ and scoring/)
}


def _table_counts() -> dict:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables if t.name != "audit_log"}


def _rows(unit):
    """A request of ``unit`` with its drawn expert (accepted) and a notice: the ids a URL needs."""
    ent = factories.enterprise()
    db.session.commit()
    req = make_job(unit, ent, start=clock.today() + dt.timedelta(days=2))
    a = finish(req, complete=False)
    notice, = notices.issue_notices(req)
    db.session.commit()
    return {"request_id": req.id, "assignment_id": a.id, "notice_id": notice.id, "kind": "call"}


def _phone_rules(app):
    out = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if hasattr(view, "right"):
            for method in ("GET", "POST"):
                if method in rule.methods:
                    out.append((rule, method, view.right))
    return out


def _url(rule, ids):
    url = rule.rule
    for arg in rule.arguments:
        url = url.replace(f"<int:{arg}>", str(ids[arg])).replace(f"<any(call, sms):{arg}>", str(ids[arg]))
    assert "<" not in url, url
    return url


@pytest.fixture
def world(app):
    """Six experts and a foreign unit's request (its ids under ``foreign``)."""
    for _ in range(6):
        factories.appointed_expert(start=dt.date(2026, 1, 1))
    foreign = factories.org_unit(name="牛塘镇", kind="town")
    db.session.commit()
    return {"foreign": _rows(foreign)}


def test_every_phone_route_declares_its_right(app):
    undeclared = [r.endpoint for r in app.url_map.iter_rules()
                  if r.rule.startswith("/m/") and not hasattr(app.view_functions[r.endpoint], "right")
                  and r.endpoint not in OTHER_PHONE_PAGES]
    assert undeclared == []
    assert len(_phone_rules(app)) >= 15


def test_anonymous_users_are_sent_to_the_login_page(app, client, world):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    for rule, method, _right in _phone_rules(app):
        url = _url(rule, world["foreign"])
        before = _table_counts()
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)
        assert _table_counts() == before


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app, client, login_as, world, role):
    user = login_as(role)
    own = _rows(user.org_unit) if user.org_unit_id else world["foreign"]
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    problems, allowed_seen = [], 0
    for rule, method, (page, action) in _phone_rules(app):
        may = allowed(role, page, action)
        for ids, whose in ((own, "own"), (world["foreign"], "foreign")):
            if whose == "foreign" and not rule.arguments:
                continue
            url = _url(rule, ids)
            before = _table_counts()
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, "version": "1", "reason": "路过试试"})
            code = response.status_code
            if code >= 500:
                problems.append((role, method, url, code))
            elif not may:
                if code != 403:
                    problems.append((role, method, url, "not refused", code))
            elif whose == "foreign":
                if code != 404:
                    problems.append((role, method, url, "another unit's row answered", code))
            else:
                allowed_seen += 1
                location = response.headers.get("Location", "")
                if code not in (200, 302, 303, 422) or "/login" in location:  # 422: the input, not the right
                    problems.append((role, method, url, "own row refused", code, location))
            if (not may or whose == "foreign") and _table_counts() != before:
                problems.append((role, method, url, "a refused request changed the database"))
    assert problems == []
    assert (allowed_seen > 0) == (role in ("department", "town"))
