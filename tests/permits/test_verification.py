"""What a scanned permit says (第七条, 第十三条, 第二十一条; SPEC §5, §7), decided from records.

Each row builds the records the office keeps and checks the card's status, its label and
that the person-level part agrees with ``status_of`` — the rule dispatch uses.
"""
import base64
import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.services.permits.issuing import new_token, reissue_permit
from app.services.permits.verification import check_permit, hash_client, well_formed
from app.services.status import status_of
from models import Term, VerifyScan, Violation
from tests.permits import records
from tests.permits.records import today


def _warning(expert):
    db.session.add(Violation(expert=expert, found_on=today(), finding="迟到", state="verified", verified_on=today(),
                             sanction="warning", sanction_start=today()))


def _draft_suspension(expert):
    db.session.add(Violation(expert=expert, found_on=today(), finding="待核实", state="draft", sanction="suspension",
                             sanction_start=today() - dt.timedelta(days=1),
                             sanction_end=today() + dt.timedelta(days=90)))


def _past_suspension(expert):
    records.suspend(expert, start=today() - dt.timedelta(days=100), days=92)


def _future_suspension(expert):
    records.suspend(expert, start=today() + dt.timedelta(days=3))


def _renewed_without_new_card(expert):
    # The card's term ended yesterday; a renewal term began today but no new card was made.
    term = db.session.scalar(select(Term).where(Term.expert_id == expert.id))
    term.start_date, term.end_date = today() - dt.timedelta(days=3 * 365), today() - dt.timedelta(days=1)
    db.session.add(Term(expert=expert, cohort=2, doc_no="武应急〔2029〕1号", start_date=today(),
                        end_date=today() + dt.timedelta(days=3 * 365 - 1), is_renewal=True))


def _suspended_after_reissue(expert):
    reissue_permit(expert, "遗失补办")
    records.suspend(expert)


CASES = [
    # (what happened,                     records,                         status,        label)
    ("appointed, permit issued",          None,                            "valid",       "有效"),
    ("a warning does not restrict",       _warning,                        "valid",       "有效"),
    ("unverified violation: no sanction", _draft_suspension,               "valid",       "有效"),
    ("suspension over (ends by itself)",  _past_suspension,                "valid",       "有效"),
    ("suspension not begun yet",          _future_suspension,              "valid",       "有效"),
    ("suspended 3 months (第二十一条)",    records.suspend,                 "suspended",   "暂停"),
    ("blacklisted 3 years (第二十一条)",   records.blacklist,               "blacklisted", "黑名单"),
    ("dismissed, permits revoked (第十三条)", records.dismiss,              "dismissed",   "已解聘"),
    ("term over (第六条)",                 records.end_term,                "expired",     "已过期"),
    ("renewed but the card is the old term", _renewed_without_new_card,    "expired",     "已过期"),
    ("old card after 补办, now suspended", _suspended_after_reissue,       "suspended",   "暂停"),
]


@pytest.mark.parametrize("what, make_records, status, label", CASES, ids=[c[0] for c in CASES])
def test_scan_status_follows_the_records(app, what, make_records, status, label):
    expert, permit = records.permitted_expert()
    if make_records:
        make_records(expert)
    db.session.commit()
    check = check_permit(permit.token, log=False)
    assert (check.status, check.label) == (status, label)
    assert check.found and check.name == expert.name and check.permit_no == permit.permit_no
    person = status_of(expert, today()).code
    if status in ("suspended", "blacklisted", "dismissed"):
        assert person == status  # the very rule dispatch uses
    elif status == "valid":
        assert person == "valid"


def test_suspended_display_names_the_last_day(app):
    expert, permit = records.permitted_expert()
    start = today() - dt.timedelta(days=10)
    v = records.suspend(expert, start=start, days=92)
    db.session.commit()
    check = check_permit(permit.token, log=False)
    last = v.sanction_end - dt.timedelta(days=1)
    assert check.until == last
    assert check.display == f"暂停（至{last.year}年{last.month}月{last.day}日）"
    assert check.as_json()["until"] == last.isoformat()


def test_reissue_rotates_the_token_and_voids_the_old_card(app):
    expert, old = records.permitted_expert()
    old_token = old.token
    new = reissue_permit(expert, "遗失补办")
    db.session.commit()
    assert new.token != old_token and new.permit_no == old.permit_no
    assert check_permit(old_token, log=False).status == "revoked"
    assert check_permit(old_token, log=False).label == "已作废"
    assert check_permit(new.token, log=False).status == "valid"


@pytest.mark.parametrize("token", [
    "", "short", "x" * 200, "../../etc/passwd", "'; DROP TABLE permit; --", "专家工作证二维码", "%00%0a",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # well formed but unknown
])
def test_unknown_or_malformed_tokens_are_invalid_never_an_error(app, token):
    check = check_permit(token, ip="198.51.100.4", secret="s")
    db.session.commit()
    assert (check.status, check.label, check.found) == ("invalid", "无效证件", False)
    assert check.name is None and check.groups == ()


def test_one_changed_character_is_invalid(app):
    _, permit = records.permitted_expert()
    db.session.commit()
    t = permit.token
    altered = t[:-1] + ("A" if t[-1] != "A" else "B")
    assert check_permit(altered, log=False).status == "invalid"


def test_tokens_are_random_and_long_enough():
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in list(tokens)[:50]:
        assert well_formed(token)
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128


def test_token_is_not_derived_from_database_ids(app):
    # Same expert, same permit number, same term: the re-issued token shares nothing with the old one.
    expert, first = records.permitted_expert()
    second = reissue_permit(expert)
    db.session.commit()
    common = sum(a == b for a, b in zip(first.token, second.token, strict=True))
    assert common < 10  # ~0.5 expected by chance for 32 characters over 64 symbols


def test_a_scan_is_logged_with_a_hashed_address_and_counted(app):
    expert, permit = records.permitted_expert()
    db.session.commit()
    for _ in range(3):
        check_permit(permit.token, ip="203.0.113.7", secret=app.config["SECRET_KEY"])
        db.session.commit()
    scans = db.session.scalars(select(VerifyScan).where(VerifyScan.permit_id == permit.id)).all()
    assert len(scans) == 3
    assert {s.status for s in scans} == {"valid"} and {s.token for s in scans} == {permit.token}
    expected = hashlib.sha256((app.config["SECRET_KEY"] + "203.0.113.7").encode()).hexdigest()
    assert {s.ip_hash for s in scans} == {expected} == {hash_client("203.0.113.7", app.config["SECRET_KEY"])}
    assert all("203.0.113.7" not in (s.ip_hash + s.token) for s in scans)
    db.session.refresh(permit)
    assert permit.scan_count == 3


def test_invalid_scans_are_logged_without_a_permit(app):
    check_permit("AAAAAAAAAAAAAAAAAAAAAAAA", ip="203.0.113.9", secret="k")
    db.session.commit()
    scan = db.session.scalar(select(VerifyScan))
    assert scan.permit_id is None and scan.status == "invalid"


def test_office_lookups_are_not_counted(app):
    _, permit = records.permitted_expert()
    db.session.commit()
    check_permit(permit.token, log=False)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(VerifyScan)) == 0


def test_json_has_the_fields_of_spec_section_7(app):
    expert, permit = records.permitted_expert(groups=("化工", "有限空间"))
    db.session.commit()
    data = check_permit(permit.token, log=False).as_json()
    assert {"status", "status_label", "name", "permit_no", "valid_until", "groups"} <= set(data)
    assert data["status"] == "valid" and data["status_label"] == "有效"
    assert data["groups"] == ["化工", "有限空间"]
    assert data["valid_until"] == permit.term.end_date.isoformat()
