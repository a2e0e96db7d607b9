"""Templates and the phone pages ask the rights table (``app.auth.rights``) who may see or do
what — ``lifecycle_can(endpoint, action)`` or one of its named predicates (``keeps_permits``,
``sees_expert_lifecycle``, ``is_expert_self``…) — and never compare a role themselves, so who
approves, issues or sees a link is decided in one place (issue 15).

The Python pages and services are held to the same rule; the few comparisons that stay are
listed by file with the reason, and the list may only shrink."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
# A role compared with a role name: ``role == 'office'``, ``role in ('office', …)``, ``role not
# in [...]`` (also ``current_role()``); a loop ``for role in`` or ``role in values.fill_roles``
# is not a check.
COMPARISON = re.compile(r"""\b(?:current_)?role(\(\))?\s*(==|!=)\s*['"]"""
                        r"""|\b(?:current_)?role(\(\))?\s+(not\s+)?in\s*[(\[]\s*['"]""")
# The Python side also catches a role held against a tuple of names kept beside the check
# (``actor.role not in OFFICE``), the way such lists used to hide from the table.
PY_COMPARISON = re.compile(COMPARISON.pattern + r"""|\brole\s+(not\s+)?in\s+[A-Z][A-Z_]+\b""")
# Where a comparison may stay, with how many each holds and why.
KEPT = {
    # The login machinery itself: where a login lands (an expert on /m/, a unit's staff on a
    # phone) — app/auth/device.py is the rule's home.
    "auth/login.py": 1,
    # The server-side account command checks that a unit role names its unit and an expert role
    # its expert: the shape of the account being created, not what a user may do.
    "cli.py": 2,
}


def _templates() -> list[Path]:
    return sorted(p for p in APP.rglob("*.html") if "static" not in p.parts)


def _count(path: Path, pattern: re.Pattern) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if pattern.search(line))


def test_templates_leave_role_checks_to_the_rights_table():
    found = {p.relative_to(APP).as_posix(): n for p in _templates() if (n := _count(p, COMPARISON))}
    assert found == {}, f"role comparisons in templates, ask app.auth.rights (lifecycle_can, keeps_permits…): {found}"


def test_the_template_scan_sees_the_phone_and_public_templates():
    names = {p.relative_to(APP).as_posix() for p in _templates()}
    assert "mobile/templates/mobile/home.html" in names
    assert "templates/admin/expert_panels/05_lifecycle.html" in names
    assert any(n.startswith("public/templates/") for n in names)


def test_the_scan_catches_a_comparison():
    for line in ("{% if current_user.role in ('office', 'sysadmin') %}", "{% if user.role == 'expert' %}",
                 "{% if role not in ['town'] %}"):
        assert COMPARISON.search(line), line
    assert PY_COMPARISON.search('if actor.role not in OFFICE:')
    for line in ("{% for role in roles %}", "{% if role in values.fill_roles %}", "is_expert_self(user.role)"):
        assert not COMPARISON.search(line), line


def test_pages_and_services_leave_role_checks_to_the_rights_table():
    found = {}
    for path in sorted(APP.rglob("*.py")):
        name = path.relative_to(APP).as_posix()
        if name == "auth/rights.py":
            continue
        if n := _count(path, PY_COMPARISON):
            found[name] = n
    grown = {name: n for name, n in found.items() if n > KEPT.get(name, 0)}
    assert not grown, f"role comparisons in Python, ask app.auth.rights instead: {grown}"


@pytest.mark.parametrize("role,expected", [
    ("sysadmin", {"lifecycle": True, "eligibility": True, "keeps": False, "permits": True, "phone": False,
                  "self": False, "every_unit_form": True}),
    ("office", {"lifecycle": True, "eligibility": True, "keeps": True, "permits": True, "phone": False,
                "self": False, "every_unit_form": True}),
    ("leader", {"lifecycle": True, "eligibility": True, "keeps": False, "permits": False, "phone": False,
                "self": False, "every_unit_form": False}),
    ("expert", {"lifecycle": True, "eligibility": False, "keeps": False, "permits": False, "phone": False,
                "self": True, "every_unit_form": False}),
    ("department", {"lifecycle": False, "eligibility": False, "keeps": False, "permits": False, "phone": True,
                    "self": False, "every_unit_form": False}),
    ("town", {"lifecycle": False, "eligibility": False, "keeps": False, "permits": False, "phone": True,
              "self": False, "every_unit_form": False}),
    ("secadmin", {"lifecycle": False, "eligibility": False, "keeps": False, "permits": False, "phone": False,
                  "self": False, "every_unit_form": False}),
    ("auditor", {"lifecycle": False, "eligibility": False, "keeps": False, "permits": False, "phone": False,
                 "self": False, "every_unit_form": False}),
    (None, {"lifecycle": False, "eligibility": False, "keeps": False, "permits": False, "phone": False,
            "self": False, "every_unit_form": False}),
])
def test_the_named_predicates_match_the_roles_they_replace(role, expected):
    from app.auth import rights

    assert {
        "lifecycle": rights.sees_expert_lifecycle(role),
        "eligibility": rights.sees_eligibility(role),
        "keeps": rights.keeps_expert_lifecycle(role),
        "permits": rights.keeps_permits(role),
        "phone": rights.has_phone_workspace(role),
        "self": rights.is_expert_self(role),
        "every_unit_form": rights.sees_every_unit_form(role),
    } == expected
    assert rights.works_for_a_unit(role) == (role in ("department", "town"))


def test_the_lifecycle_rights_match_the_roles_they_replace():
    from app.auth.rights import holders

    assert holders("application", "review") == {"office"}
    assert holders("application", "decide") == {"leader"}
    assert holders("dismissal", "announce") == {"office"}
    assert holders("dismissal", "decide") == {"leader"}
    assert holders("announcement", "publish") == {"office"}
    assert holders("term", "renew") == {"office"}
    assert holders("permit", "issue") == {"office", "sysadmin"}
    # the checks the lifecycle services, the follow-ups and the phone's contact buttons make
    assert holders("commitment_letter", "create") == {"office", "sysadmin"}
    assert holders("dismissal", "create") == {"office"}
    assert holders("announcement", "edit") == {"office"}
    assert holders("follow_up", "edit") == {"office", "sysadmin"}
    assert holders("follow_up", "list") - holders("follow_up", "edit") == {"leader"}
    assert holders("phone_contact", "create") == {"department", "town"}
