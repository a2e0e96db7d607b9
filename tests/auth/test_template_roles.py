"""Templates ask the rights table (``lifecycle_can(endpoint, action)``, ``app.auth.rights``)
who may do what; they never compare a role themselves, so who approves or issues is decided in
one place (issue 15). The few comparisons still waiting to move are listed by file, and the
list may only shrink."""
import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
# A role compared with a role name: ``role == 'office'``, ``role in ('office', …)`` (also
# ``current_role()``); a loop ``for role in`` or ``role in values.fill_roles`` is not a check.
COMPARISON = re.compile(r"""\b(?:current_)?role(\(\))?\s*(==|!=)\s*['"]"""
                        r"""|\b(?:current_)?role(\(\))?\s+(not\s+)?in\s*[(\[]\s*['"]""")
# Still to move into app/auth/rights.py (issue 15), with how many comparisons each holds.
WAITING = {
    "admin/expertpool_base.html": 1,
    "admin/expert_panels/05_lifecycle.html": 3,
    "admin/expert_panels/10_timeline.html": 1,
    "admin/expert_panels/20_permit.html": 1,
}


def _comparisons() -> dict[str, int]:
    found = {}
    for path in TEMPLATES.rglob("*.html"):
        count = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if COMPARISON.search(line))
        if count:
            found[path.relative_to(TEMPLATES).as_posix()] = count
    return found


def test_templates_leave_role_checks_to_the_rights_table():
    found = _comparisons()
    new = {name: n for name, n in found.items() if n > WAITING.get(name, 0)}
    assert not new, f"role comparisons in templates, use lifecycle_can(endpoint, action): {new}"


@pytest.mark.parametrize("name", sorted(WAITING))
def test_waiting_list_only_shrinks(name):
    assert _comparisons().get(name, 0) == WAITING[name], f"{name} changed: update WAITING"


def test_the_lifecycle_rights_match_the_roles_they_replace():
    from app.auth.rights import allowed

    roles = ("sysadmin", "secadmin", "auditor", "office", "leader", "department", "town", "expert")

    def holders(endpoint, action):
        return {r for r in roles if allowed(r, endpoint, action)}

    assert holders("application", "review") == {"office"}
    assert holders("application", "decide") == {"leader"}
    assert holders("dismissal", "announce") == {"office"}
    assert holders("dismissal", "decide") == {"leader"}
    assert holders("announcement", "publish") == {"office"}
    assert holders("term", "renew") == {"office"}
