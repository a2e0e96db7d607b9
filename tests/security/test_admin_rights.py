"""Every role against the write and read endpoints of every admin view that the page walk
(tests/admin_views/test_access_walk.py, GETs only) does not reach:

- inline edit (``/ajax/update/``), bulk actions (``/action/``), delete (``/delete/``):
  a role without the right gets 403 and nothing in the database changes;
- details: a row outside the role's own rows (``scope_query``) is never shown;
- export: refused without the right; with it, only the role's own rows, masked;
- picker lookups (``/ajax/lookup/``) serve forms, so only roles that may fill a form;
- no page a masked role sees carries a full ID number or mobile number (SPEC §3.15).

Views are taken from the live admin, so views added later are covered.
"""
import csv
import io

import openpyxl
import pytest
from flask import url_for
from flask_login import login_user
from sqlalchemy import String, Text, func, inspect, select

from app.auth.rights import allowed, sees_unmasked
from app.extensions import db
from models import Expert
from tests.conftest import csrf_from
from tests.security.conftest import admin_model_views

ROLES = ["sysadmin", "secadmin", "auditor", "office", "department", "town", "leader", "expert"]


def _table_counts() -> dict:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables}


def _row_state(model, pk):
    db.session.expire_all()
    row = db.session.get(model, pk)
    if row is None:
        return None
    return {c.key: getattr(row, c.key) for c in inspect(model).column_attrs}


def _visible_ids(app, view, user) -> set:
    """The ids the view lists for ``user`` (its scope), read through the view's own query."""
    with app.test_request_context():
        login_user(user)
        pk = inspect(view.model).primary_key[0]
        ids = {getattr(r, pk.key) for r in view.get_query().all()}
    db.session.expire_all()
    return ids


def _all_ids(model) -> list:
    pk = inspect(model).primary_key[0]
    return list(db.session.scalars(select(pk).order_by(pk)))


def _text_column(model):
    for column in inspect(model).columns:
        if isinstance(column.type, (String, Text)) and not column.primary_key and not column.foreign_keys:
            return column.key
    return None


def _token(client):
    return csrf_from(client.get("/account/password").get_data(as_text=True))


@pytest.fixture
def as_role(app, client, login_as, hostile):
    def _as(role):
        return login_as(role)

    return _as


def _effective(app, view, user) -> dict:
    """What the view itself lets ``user`` do (RIGHTS plus the view's own narrowing)."""
    with app.test_request_context():
        login_user(user)
        out = {"edit": bool(view.can_edit), "delete": bool(view.can_delete), "export": bool(view.can_export),
               "actions": {name for name, _ in getattr(view, "_actions", []) if view.is_action_allowed(name)}}
    return out


@pytest.mark.parametrize("role", ROLES)
def test_write_endpoints_refuse_roles_without_the_right(app, client, as_role, role):
    """Inline edit needs edit, delete and the bulk 'delete' need delete, and an action the
    list does not offer to the role cannot be forced by posting it: each refused request
    leaves every table as it was."""
    user = as_role(role)
    token = _token(client)
    problems, tried = [], 0
    for view in admin_model_views(app):
        ids = _all_ids(view.model)
        if not ids or not allowed(role, view.endpoint, "list"):
            continue
        pk = ids[-1]
        ep = view.endpoint
        may = _effective(app, view, user)
        with app.test_request_context():
            urls = {name: url_for(f"{ep}.{name}") for name in ("ajax_update", "action_view", "delete_view")
                    if f"{ep}.{name}" in app.view_functions}
        column = _text_column(view.model)
        attempts = []
        if "ajax_update" in urls and column and not may["edit"]:
            attempts.append((urls["ajax_update"], {"list_form_pk": str(pk), column: "被篡改", "csrf_token": token}))
        if "delete_view" in urls and not may["delete"]:
            attempts.append((urls["delete_view"], {"id": str(pk), "csrf_token": token}))
        for name, _label in getattr(view, "_actions", []):
            if "action_view" in urls and (name not in may["actions"] or (name == "delete" and not may["delete"])):
                attempts.append((urls["action_view"], {"action": name, "rowid": str(pk), "csrf_token": token}))
        for url, data in attempts:
            before_counts, before_row = _table_counts(), _row_state(view.model, pk)
            try:
                response = client.post(url, data=data)
            except Exception as exc:  # noqa: BLE001 - TESTING re-raises; collect
                problems.append((role, url, data.get("action"), f"{type(exc).__name__}: {exc}"))
                continue
            tried += 1
            if response.status_code >= 500:
                problems.append((role, url, data.get("action"), response.status_code))
            after = _table_counts()
            if after != before_counts or _row_state(view.model, pk) != before_row:
                changed = {k: (before_counts[k], after[k]) for k in after if after[k] != before_counts[k]}
                problems.append((role, url, data.get("action"), "refused request changed the database", changed))
    assert problems == []
    assert tried > 0
    # Still logged in: the refusals did not end the session by accident.
    assert client.get("/account/password").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_the_action_menu_offers_delete_only_with_the_delete_right(app, as_role, role):
    user = as_role(role)
    offered = []
    for view in admin_model_views(app):
        if not allowed(role, view.endpoint, "list"):
            continue
        with app.test_request_context():
            login_user(user)
            menu = [name for name, _ in view.get_actions_list()[0]]
            may_delete = view.can_delete
        if "delete" in menu and not may_delete:
            offered.append(view.endpoint)
    assert offered == [], f"{role} is offered the bulk 删除 in {offered} without the right to delete"


@pytest.mark.parametrize("role", ROLES)
def test_details_show_only_the_roles_own_rows(app, client, as_role, role):
    user = as_role(role)
    problems, checked = [], 0
    for view in admin_model_views(app):
        if not allowed(role, view.endpoint, "details") or f"{view.endpoint}.details_view" not in app.view_functions:
            continue
        visible = _visible_ids(app, view, user)
        with app.test_request_context():
            base = url_for(f"{view.endpoint}.details_view")
        for pk in _all_ids(view.model):
            try:
                response = client.get(base, query_string={"id": pk})
            except Exception as exc:  # noqa: BLE001
                problems.append((role, view.endpoint, pk, f"{type(exc).__name__}: {exc}"))
                continue
            checked += 1
            if pk in visible:
                if response.status_code != 200:
                    problems.append((role, view.endpoint, pk, "own row not shown", response.status_code))
            elif response.status_code == 200:
                problems.append((role, view.endpoint, pk, "row outside the role's scope shown"))
    assert problems == []
    if role != "department":
        assert checked > 0


@pytest.mark.parametrize("role", ROLES)
def test_exports_are_refused_or_scoped_and_masked(app, client, as_role, role, hostile):
    user = as_role(role)
    expert = hostile.pool[Expert]
    secrets_ = [expert.id_number, expert.mobile]
    problems, exported = [], 0
    for view in admin_model_views(app):
        if f"{view.endpoint}.export" not in app.view_functions:
            continue
        with app.test_request_context():
            url = url_for(f"{view.endpoint}.export", export_type="csv")
        # Counted before: the export itself goes on the audit trail (a row of the audit views).
        visible = _visible_ids(app, view, user) if _effective(app, view, user)["export"] else set()
        try:
            response = client.get(url)
        except Exception as exc:  # noqa: BLE001
            problems.append((role, url, f"{type(exc).__name__}: {exc}"))
            continue
        may_export = _effective(app, view, user)["export"]
        if not may_export:
            if response.status_code == 200:
                problems.append((role, url, "export not refused", response.status_code))
            if not allowed(role, view.endpoint, "export") and response.status_code != 403:
                problems.append((role, url, "export without the right not answered 403", response.status_code))
            continue
        if response.status_code != 200:
            problems.append((role, url, response.status_code))
            continue
        exported += 1
        raw = response.get_data()
        if raw.startswith(b"PK"):  # a view's own Excel export (boards): check the text only
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
            text = "\n".join(str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r)
        elif "export" in vars(type(view)):  # a board's own CSV: its rows are not the model's rows
            text = raw.decode("utf-8-sig")
        else:
            text = raw.decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))[1:]
            if len(rows) != len(visible) and len(rows) != getattr(view, "export_max_rows", 0):
                problems.append((role, url, f"{len(rows)} rows exported, {len(visible)} visible"))
        if not sees_unmasked(role):
            leaked = [s for s in secrets_ if s and s in text]
            if leaked:
                problems.append((role, url, "unmasked", leaked))
    assert problems == []
    if role in ("sysadmin", "office", "leader"):
        assert exported > 3


@pytest.mark.parametrize("role", ROLES)
def test_picker_lookups_serve_only_roles_that_fill_forms(app, client, as_role, role):
    as_role(role)
    problems = []
    for view in admin_model_views(app):
        refs = getattr(view, "_form_ajax_refs", None) or {}
        if not refs or not allowed(role, view.endpoint, "list"):
            continue
        may_fill = allowed(role, view.endpoint, "create") or allowed(role, view.endpoint, "edit")
        with app.test_request_context():
            url = url_for(f"{view.endpoint}.ajax_lookup")
        for name in refs:
            response = client.get(url, query_string={"name": name, "query": ""})
            if may_fill and response.status_code != 200:
                problems.append((role, url, name, response.status_code))
            if not may_fill and response.status_code != 403:
                problems.append((role, url, name, "lookup open to a role that fills no form",
                                 response.status_code))
    assert problems == []


@pytest.mark.parametrize("role", ["department", "town", "leader", "expert"])
def test_masked_roles_never_see_full_id_or_mobile(app, client, as_role, role, hostile):
    as_role(role)
    expert = hostile.pool[Expert]
    problems = []
    for view in admin_model_views(app):
        if not allowed(role, view.endpoint, "list"):
            continue
        with app.test_request_context():
            urls = [url_for(f"{view.endpoint}.index_view")]
            if allowed(role, view.endpoint, "details") and f"{view.endpoint}.details_view" in app.view_functions:
                urls += [url_for(f"{view.endpoint}.details_view", id=pk) for pk in _all_ids(view.model)]
        for url in urls:
            try:
                html = client.get(url).get_data(as_text=True)
            except Exception as exc:  # noqa: BLE001
                problems.append((url, f"{type(exc).__name__}: {exc}"))
                continue
            for secret in (expert.id_number, expert.mobile):
                if secret in html:
                    problems.append((role, url, "full", secret[:3] + "…"))
    assert problems == []
