"""The admin views ask app/auth/rights.py who may do or see a thing; none compares a role with
a name of its own (README: one rights table). The predicates say what the table says."""
import re
from pathlib import Path

from app.auth.rights import (
    RIGHTS,
    allowed,
    classifies_declines,
    is_expert_self,
    manages_every_request,
    works_for_a_unit,
)

ROOT = Path(__file__).resolve().parents[2]
# A role compared with a literal, or tested against a tuple written on the spot.
COMPARISON = re.compile(r"role(\(\))? *(==|!=) *['\"]|\.role in \(|role(\(\))? in \(")
ROLES = sorted({role for row in RIGHTS.values() for role in row})


def test_no_admin_view_compares_a_role_with_a_name():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "admin_views").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COMPARISON.search(line)
    ]
    assert not found, "ask app.auth.rights (allowed or a named predicate) instead:\n" + "\n".join(found)


def test_the_predicates_say_what_the_table_says():
    assert [r for r in ROLES if manages_every_request(r)] == ["sysadmin"]
    # a unit's staff edit requests too, but only their own unit's
    assert all(allowed(r, "usage_request", "edit") for r in ROLES if works_for_a_unit(r))
    assert [r for r in ROLES if works_for_a_unit(r)] == ["department", "town"]
    assert [r for r in ROLES if is_expert_self(r)] == ["expert"]
    assert [r for r in ROLES if classifies_declines(r)] == ["office"]
    assert not any(p(None) for p in (manages_every_request, works_for_a_unit, is_expert_self, classifies_declines))
