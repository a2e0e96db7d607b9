"""SQL injection: attack strings in every search box, filter, sort and lookup are data.

Every admin view with a search box is searched with each string of ``payloads.SQLI``
(quotes, comments, UNION, stacked statements, LIKE wildcards, NUL): the page answers
200, finds nothing that does not contain the string, and the tables are intact. The
same strings go to every list filter, to the pickers' lookup endpoints, and to the
public pages that look things up by a typed value.
"""
import re

import pytest
from flask import url_for
from sqlalchemy import func, select

from app.extensions import db
from models import Expert, User
from tests.conftest import csrf_from
from tests.security.conftest import admin_model_views
from tests.security.payloads import SQLI

WILDCARDS = {"%", "_"}  # LIKE wildcards match by design


def _count(html: str) -> int | None:
    m = re.search(r'class="nav-link active">[^<(]*(?:\((\d+)\))?</a>', html)
    if m is None:
        return None
    return int(m.group(1) or 0)


def _safe_get(client, url, problems, **kw):
    try:
        response = client.get(url, **kw)
    except Exception as exc:  # noqa: BLE001 - TESTING re-raises; collect
        problems.append((url, f"{type(exc).__name__}: {exc}"))
        return None
    if response.status_code >= 500:
        problems.append((url, response.status_code))
        return None
    return response


def test_search_boxes(app, client, login_as, hostile):
    login_as("sysadmin")
    experts_before = db.session.scalar(select(func.count(Expert.id)))
    users_before = db.session.scalar(select(func.count(User.id)))
    problems, searched = [], []
    for view in admin_model_views(app):
        if not view.column_searchable_list:
            continue
        with app.test_request_context():
            base = url_for(f"{view.endpoint}.index_view")
        searched.append(view.endpoint)
        for attack in SQLI:
            response = _safe_get(client, base, problems, query_string={"search": attack})
            if response is None or response.status_code != 200:
                continue
            found = _count(response.get_data(as_text=True))
            if attack not in WILDCARDS and found not in (None, 0):
                problems.append((view.endpoint, attack, f"{found} rows"))
    assert problems == []
    assert len(searched) >= 10 and "expert" in searched
    assert db.session.scalar(select(func.count(Expert.id))) == experts_before
    assert db.session.scalar(select(func.count(User.id))) == users_before


def test_the_count_parser_sees_rows(app, client, login_as, hostile):
    """Guard for the test above: an ordinary search does find the hostile expert."""
    login_as("sysadmin")
    html = client.get("/admin/expert/", query_string={"search": "x1"}).get_data(as_text=True)
    assert _count(html) == 1


def test_filters_sort_and_paging(app, client, login_as, hostile):
    login_as("sysadmin")
    problems = []
    for view in admin_model_views(app):
        with app.test_request_context():
            base = url_for(f"{view.endpoint}.index_view")
        for idx in range(len(view._filters or [])):
            for attack in SQLI[:4]:
                _safe_get(client, base, problems, query_string={f"flt0_{idx}": attack})
        for params in ({"sort": "1 OR 1=1"}, {"sort": "-1"}, {"sort": "999"}, {"desc": "x'"}, {"page": "-1"},
                       {"page": "' OR 1=1"}, {"page_size": "100000000"}):
            _safe_get(client, base, problems, query_string=params)
    assert problems == []


def test_picker_lookups(app, client, login_as, hostile):
    login_as("sysadmin")
    problems, looked = [], 0
    for view in admin_model_views(app):
        for name in (getattr(view, "_form_ajax_refs", None) or {}):
            with app.test_request_context():
                url = url_for(f"{view.endpoint}.ajax_lookup")
            for attack in SQLI:
                response = _safe_get(client, url, problems, query_string={"name": name, "query": attack})
                if response is None or response.status_code == 403:
                    continue  # lookups serve only roles that fill the view's forms
                if response.status_code == 400 and "\x00" in attack:
                    continue  # NUL bytes are refused up front
                looked += 1
                assert response.status_code == 200, (url, name)
                if attack not in WILDCARDS and response.get_json():
                    problems.append((url, name, attack, response.get_json()[:2]))
    assert problems == [] and looked > 0


def test_nul_bytes_are_refused_before_any_query(app, client, login_as):
    """PostgreSQL refuses NUL in text (a 500 deep inside a query); the app answers 400 first."""
    login_as("sysadmin")
    assert client.get("/admin/expert/", query_string={"search": "王\x00"}).status_code == 400
    assert client.get("/apply/status", query_string={"receipt_no": "\x00", "id_last4": "1234"}).status_code == 400
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    response = client.post("/account/password", data={"csrf_token": token, "old_password": "a\x00"})
    assert response.status_code == 400 and "请求有误" in response.get_data(as_text=True)


@pytest.mark.parametrize("attack", SQLI)
def test_public_lookups(app, client, hostile, attack):
    for url, params in (("/apply/status", {"receipt_no": attack, "id_last4": attack}),
                        ("/complaints/new", {"permit": attack}),
                        ("/announcements", {"page": attack})):
        response = client.get(url, query_string=params)
        assert response.status_code in (200, 400), (url, response.status_code)
    for url in ("/verify/", "/receipt/"):
        response = client.get(url + attack.replace("/", ""))
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        if url == "/verify/" and response.status_code == 200:
            assert "无效证件" in response.get_data(as_text=True)
