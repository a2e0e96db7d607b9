"""The chain as written (SPEC §3.20): consecutive entries, each with the SM3 hash of its content
and of the entry before it, a sealed head, entries of a rolled-back savepoint dropped — and no
way through the application to change, delete or slip in an entry."""
import pytest
from sqlalchemy import delete, select, text, update

from app.services import audit
from app.services.audit import chain
from app.services.audit.chain import GENESIS, AppendOnlyError, entry_hash, sm3_hex
from models import AuditLog, OrgUnit
from tests import factories
from tests.audit.conftest import head, stored, tamper


def test_sm3_is_the_standards_sm3():
    # GB/T 32905-2016, appendix A.1: SM3("abc").
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_each_entry_chains_to_the_one_before(app, db, chain_of):
    ids = chain_of(3)
    assert ids == [1, 2, 3]
    entries = [stored(i) for i in ids]
    assert entries[0]["prev_hash"] == GENESIS
    for before, entry in zip(entries, entries[1:], strict=False):
        assert entry["prev_hash"] == before["hash"]
    for entry in entries:
        assert entry["hash"] == entry_hash(entry) and len(entry["hash"]) == 64
    top = head()
    assert (top.last_id, top.last_hash) == (3, entries[-1]["hash"])
    assert chain.seal_ok(top.last_id, top.last_hash, top.seal)


def test_the_hash_covers_every_stored_field(app, db, chain_of):
    chain_of(1)
    entry = stored(1)
    for key, other in (("summary", "别的"), ("username", "x"), ("client_addr", "1.1.1.1"), ("row_id", 99),
                       ("changes", {"序号": [None, 2]}), ("action", "export"), ("id", 2), ("prev_hash", "1" * 64)):
        assert entry_hash({**entry, key: other}) != entry["hash"], key


def test_a_record_change_is_written_with_its_transaction_and_a_rolled_back_savepoint_is_not(app, db):
    db.session.add(OrgUnit(kind="town", name="湖塘镇"))
    nested = db.session.begin_nested()
    db.session.add(OrgUnit(kind="town", name="不要的镇"))
    db.session.flush()
    nested.rollback()
    with db.session.begin_nested():
        db.session.add(OrgUnit(kind="devzone", name="武进开发区"))
    db.session.commit()
    entries = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(e.action, e.summary) for e in entries] == [("create", "湖塘镇"), ("create", "武进开发区")]
    assert all(e.row_id is not None for e in entries)


def test_a_transaction_rolled_back_writes_nothing(app, db):
    audit.record_event("export", "导出“专家”3行（xlsx）")
    db.session.add(OrgUnit(kind="town", name="湖塘镇"))
    db.session.rollback()
    db.session.commit()
    assert db.session.scalars(select(AuditLog)).all() == []


def test_permission_changes_are_named_as_such(app, db):
    user = factories.user(role="office", username="zhou")
    db.session.commit()
    user.role = "leader"
    db.session.commit()
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (entry.action, entry.changes["role"]) == ("permission", ["office", "leader"])
    assert audit.ACTION_LABELS[entry.action] == "权限变更"


def test_key_rotation_can_be_recorded_by_other_code(app, db):
    audit.record_event("key_rotation", "个人信息加密密钥已轮换", details={"已重新加密": 120})
    db.session.commit()
    (entry,) = db.session.scalars(select(AuditLog)).all()
    assert (entry.action, entry.summary, entry.changes) == ("key_rotation", "个人信息加密密钥已轮换",
                                                             {"已重新加密": [None, 120]})
    assert audit.ACTION_LABELS["key_rotation"] == "密钥轮换"
    with pytest.raises(ValueError):
        audit.record_event("nonsense", "x")


# --- append only --------------------------------------------------------------------------------

def test_the_orm_cannot_change_or_delete_an_entry(app, db, chain_of):
    chain_of(2)
    entry = db.session.get(AuditLog, 1)
    entry.summary = "改过"
    with pytest.raises(AppendOnlyError, match="只能追加"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditLog, 1))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert stored(1)["summary"] == "第1次测试备份"


@pytest.mark.parametrize("statement", [
    lambda: update(AuditLog).where(AuditLog.id == 1).values(summary="改过"),
    lambda: delete(AuditLog).where(AuditLog.id == 1),
    lambda: text("UPDATE audit_log SET summary = '改过' WHERE id = 1"),
    lambda: text("DELETE FROM audit_log"),
    lambda: text('delete from "audit_log" where id = 2'),
], ids=["orm-update", "orm-delete", "sql-update", "sql-delete", "quoted-delete"])
def test_no_statement_through_the_application_changes_or_deletes_an_entry(app, db, chain_of, statement):
    chain_of(2)
    with pytest.raises(AppendOnlyError):
        db.session.execute(statement())
    db.session.rollback()
    assert [stored(i)["summary"] for i in (1, 2)] == ["第1次测试备份", "第2次测试备份"]


def test_an_entry_cannot_be_slipped_in_past_the_chain(app, db):
    db.session.add(AuditLog(username="x", action="create", table_name="expert", summary="伪造", changes={},
                            prev_hash=GENESIS, hash=GENESIS))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalars(select(AuditLog)).all() == []


def test_a_missing_head_is_rebuilt_and_said_so_in_the_chain(app, db, chain_of):
    chain_of(2)
    tamper("DELETE FROM audit_chain_head")
    chain_of(1)
    notes = db.session.scalars(select(AuditLog).where(AuditLog.action == "chain")).all()
    assert [n.summary for n in notes] == ["链头记录缺失（在本系统之外被删除），已按日志最后一条（第2条）重建"]
    assert head().last_id == 4


def test_a_head_whose_seal_fails_is_said_so_before_anything_is_appended(app, db, chain_of):
    ids = chain_of(3)
    tamper("UPDATE audit_chain_head SET last_id = 2, last_hash = ?", (stored(ids[1])["hash"],))
    chain_of(1)
    note = db.session.scalars(select(AuditLog).where(AuditLog.action == "chain")).one()
    assert note.summary.startswith("链头封印不符") and "第2条" in note.summary
