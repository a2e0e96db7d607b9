"""Every GET page of the lifecycle views answers as RIGHTS says, for every role (CTFd style)."""
import pytest

from app.auth.rights import allowed
from app.demo.seed import seed_demo
from tests.admin_views.test_access_walk import ROLES, _urls

MINE = {"application", "term", "commitment_letter", "dismissal", "announcement"}


@pytest.fixture
def walked(app):
    seed_demo(experts=12)
    return [(url, owner, action) for url, owner, action in _urls(app) if owner in MINE]


@pytest.mark.parametrize("role", ROLES)
def test_each_role(app, client, login_as, walked, role):
    login_as(role)
    assert len(walked) > 15
    for url, owner, action in walked:
        response = client.get(url)
        assert response.status_code < 500, (role, url, response.status_code)
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


def test_anonymous_goes_to_login(app, client, walked):
    for url, owner, action in walked:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
