"""The lean request path (issue 14): what public pages and static files are spared, what
browsers may keep, what is compressed, and the expert list's bounded total."""
import re

from sqlalchemy import event

from admin_views.registry import ExpertView
from tests import factories


def test_a_public_page_neither_reads_nor_sets_the_session_cookie(client):
    response = client.get("/verify/this-is-not-a-real-permit-token")
    assert response.status_code == 404 and "无效证件" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_a_public_page_does_not_load_the_logged_in_account(app, db, client, login_as):
    user = login_as("office")
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get("/announcements")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    assert statements and not any('FROM "user"' in s or "FROM user" in s for s in statements)
    # the admin pages still show who is logged in (the lazy current_user of the templates)
    assert (user.full_name or user.username) in client.get("/admin/").get_data(as_text=True)


def test_static_urls_carry_the_content_version_and_are_kept_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    url = re.search(r'href="(/static/light\.css\?v=[0-9a-f]{12})"', page).group(1)
    versioned = client.get(url)
    assert versioned.status_code == 200
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "immutable" not in client.get("/static/light.css").headers.get("Cache-Control", "")


def test_large_pages_are_compressed_and_small_ones_are_not(client, login_as):
    login_as("office")
    listing = client.get("/admin/expert/", headers={"Accept-Encoding": "gzip"})
    assert listing.status_code == 200 and listing.headers["Content-Encoding"] == "gzip"
    small = client.get("/verify/this-is-not-a-real-permit-token", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_the_expert_list_counts_up_to_its_cap(client, login_as, monkeypatch):
    login_as("office")
    for n in range(3):
        factories.expert(name=f"计数专家{n}")
    monkeypatch.setattr(ExpertView, "count_cap", 5)
    exact = client.get("/admin/expert/").get_data(as_text=True)
    assert 'class="nav-link active">列表 (3)<' in exact and "未逐一计数" not in exact
    monkeypatch.setattr(ExpertView, "count_cap", 2)
    capped = client.get("/admin/expert/").get_data(as_text=True)
    assert "符合条件的专家超过2名" in capped and 'class="nav-link active">列表<' in capped
    assert capped.count('name="rowid"') == 3  # every row still listed
