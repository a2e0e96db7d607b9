"""Walk every GET rule of ``app.url_map`` as anonymous and as each role (CTFd style).

Admin views must answer exactly as ``app.auth.rights.RIGHTS`` says: 200 (or a redirect
inside the admin for a row the role cannot see) where allowed, 403 where not, and a
redirect to the login page for anonymous users. No page may answer 500.
"""
import pytest
from sqlalchemy import select

from app.auth.rights import RIGHTS, allowed
from app.extensions import db

ROLES = ["sysadmin", "secadmin", "auditor", "office", "department", "town", "leader", "expert"]
ACTION_OF = {
    "index_view": "list",
    "details_view": "details",
    "create_view": "create",
    "edit_view": "edit",
    "export": "export",
}


def _admin_views(app):
    admin = app.extensions["admin"][0]
    return {v.endpoint: v for v in admin._views if getattr(v, "model", None) is not None}


def _first_id(view):
    pk = view.model.__mapper__.primary_key[0]
    return db.session.scalar(select(pk).order_by(pk).limit(1))


def _urls(app):
    """(url, endpoint-owner, action) for every GET rule we can build."""
    views = _admin_views(app)
    pages = {v.endpoint for v in app.extensions["admin"][0]._views if getattr(v, "model", None) is None}
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        owner, _, method = rule.endpoint.partition(".")
        args = set(rule.arguments)
        if owner in views:
            view = views[owner]
            if method in ("details_view", "edit_view"):
                rid = _first_id(view)
                if rid is None:
                    continue
                out.append((f"{rule.rule}?id={rid}", owner, ACTION_OF[method]))
            elif method == "export":
                out.append((rule.rule.replace("<export_type>", "xlsx"), owner, "export"))
            elif not args:
                out.append((rule.rule, owner, ACTION_OF.get(method, "custom")))
        elif owner in pages and not args:
            # Admin pages that are not model views (the queues): the index is "list", the rest custom.
            out.append((rule.rule, owner, "list" if method == "index" else "custom"))
        elif not args:
            out.append((rule.rule, owner, None))
    return out


@pytest.fixture
def walked(demo):
    return _urls(demo)


def test_anonymous(app, client, walked):
    for url, owner, _action in walked:
        response = client.get(url)
        assert response.status_code < 500, url
        if owner in RIGHTS or owner in ("admin", "mobile"):
            assert response.status_code == 302, url
            assert "/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ROLES)
def test_each_role(app, client, login_as, walked, role):
    login_as(role)
    for url, owner, action in walked:
        response = client.get(url)
        assert response.status_code < 500, (role, url, response.status_code)
        if owner not in RIGHTS:
            continue
        if action == "custom":
            if not allowed(role, owner, "list"):
                assert response.status_code == 403, (role, url)
            continue
        if allowed(role, owner, action):
            assert response.status_code in (200, 302), (role, url, response.status_code)
            if response.status_code == 302:
                assert "/login" not in response.headers["Location"], (role, url)
        else:
            assert response.status_code == 403, (role, url, response.status_code)


def test_every_rights_row_is_a_registered_view(app):
    views = _admin_views(app)
    missing = [endpoint for endpoint in RIGHTS if endpoint not in views and endpoint not in app.blueprints]
    # Rows for pages that are not model views are allowed only if some rule uses them.
    rules = {r.endpoint.partition(".")[0] for r in app.url_map.iter_rules()}
    # Pages outside the admin name their row themselves (app.mobile.access.unit_page).
    rules |= {f.right[0] for f in app.view_functions.values() if hasattr(f, "right")}
    assert [m for m in missing if m not in rules] == []
