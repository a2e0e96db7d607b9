"""Verification (SPEC §3.20): ``flask audit-verify`` and the auditor's page check the chain and
name the FIRST entry that was changed, inserted or removed — by someone who went past the
application, straight to the database."""
import pytest
from sqlalchemy import select

from app.services.audit.chain import entry_hash
from app.services.audit.verify import verify_chain
from models import AuditLog
from tests.audit.conftest import forge, head, insert_raw, stored, tamper

N = 6


def _change_third():
    tamper("UPDATE audit_log SET summary = ? WHERE id = 3", ("第3次测试备份（改过）",))


def _delete_third():
    tamper("DELETE FROM audit_log WHERE id = 3")


def _insert_third():
    """A forged entry put in as the new 3rd, correctly chained to the 2nd; the later ones
    renumbered to make room (what a careful forger would do)."""
    second = stored(2)
    tamper("UPDATE audit_log SET id = id + 1000 WHERE id >= 3")
    tamper("UPDATE audit_log SET id = id - 999 WHERE id >= 1000")
    insert_raw(forge({**second, "id": 3, "summary": "伪造的记录", "prev_hash": second["hash"]}))


def _append_forged():
    """A forged entry after the last one, chained right — but not through the chain head."""
    last = stored(N)
    insert_raw(forge({**last, "id": N + 1, "summary": "伪造的记录", "prev_hash": last["hash"]}))


def _delete_last():
    tamper("DELETE FROM audit_log WHERE id = ?", (N,))


def _delete_first():
    tamper("DELETE FROM audit_log WHERE id = 1")


def _recompute_from_third():
    """The 3rd changed and every hash after it recomputed, the head too — but without the key."""
    prev = stored(2)["hash"]
    for i in range(3, N + 1):
        entry = stored(i)
        if i == 3:
            entry["summary"] = "第3次测试备份（改过）"
        entry["prev_hash"] = prev
        prev = entry_hash(entry)
        tamper("UPDATE audit_log SET summary = ?, prev_hash = ?, hash = ? WHERE id = ?",
               (entry["summary"], entry["prev_hash"], prev, i))
    tamper("UPDATE audit_chain_head SET last_hash = ?", (prev,))


CASES = [
    # (tampering, finding kind, first bad entry, words the finding must say)
    (_change_third, "changed", 3, "第3条被改动"),
    (_delete_third, "removed", 3, "第3条被删除"),
    (_insert_third, "inserted", 3, "第3条是插入的记录"),
    (_append_forged, "inserted", N + 1, f"第{N + 1}条起的记录不是本系统写入的"),
    (_delete_last, "removed", N, f"日志末尾的第{N}条被删除"),
    (_delete_first, "removed", 1, "第2条之前的记录被删除"),
    (_recompute_from_third, "seal", None, "链头封印不符"),
]
IDS = ["changed", "deleted", "inserted", "appended", "deleted-last", "deleted-first", "recomputed"]


def test_an_untouched_chain_passes(app, db, chain_of, runner):
    chain_of(N)
    result = verify_chain()
    assert result.ok and result.table_count == N and result.seal_ok
    out = runner.invoke(args=["audit-verify"])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == f"操作日志核验通过：共核对{N}条，表中第1至{N}条（{N}条）；哈希链完整，链头封印有效。"


def test_an_empty_log_passes(app, db, runner):
    assert runner.invoke(args=["audit-verify"]).exit_code == 0


@pytest.mark.parametrize(("tampering", "kind", "first_bad", "words"), CASES, ids=IDS)
def test_the_command_names_the_first_bad_entry(app, db, chain_of, runner, tampering, kind, first_bad, words):
    chain_of(N)
    tampering()
    result = verify_chain()
    assert not result.ok
    assert (result.finding.kind, result.finding.first_bad) == (kind, first_bad), result.finding
    assert words in result.finding.message
    out = runner.invoke(args=["audit-verify"])
    assert out.exit_code == 1
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("操作日志核验未通过：") and words in lines[0]


@pytest.mark.parametrize(("tampering", "kind", "first_bad", "words"), CASES[:3], ids=IDS[:3])
def test_the_page_names_and_links_the_first_bad_entry(app, db, chain_of, client, login_as, tampering, kind,
                                                      first_bad, words):
    chain_of(N)
    tampering()
    login_as("auditor")
    html = client.get("/admin/audit_verify/?run=1").get_data(as_text=True)
    assert "核验未通过" in html and words in html
    assert f"最先出问题的记录：第{first_bad}条" in html
    shown = {"changed": 3, "removed": 4, "inserted": 3}[kind]
    assert f"/admin/audit_log/details/?id={shown}" in html
    assert client.get(f"/admin/audit_log/details/?id={shown}").status_code == 200


def test_the_page_says_so_when_all_is_well(app, db, chain_of, client, login_as):
    chain_of(3)
    login_as("auditor")
    page = client.get("/admin/audit_verify/")
    assert page.status_code == 200 and "开始核验" in page.get_data(as_text=True)
    html = client.get("/admin/audit_verify/?run=1").get_data(as_text=True)
    assert "核验通过" in html and "链头封印" in html and "有效" in html


def test_the_chain_goes_on_after_tampering_and_the_note_stays(app, db, chain_of):
    """After a head was set back, the application keeps working and the trail keeps saying so."""
    chain_of(N)
    tamper("UPDATE audit_chain_head SET last_id = 2, last_hash = ?", (stored(2)["hash"],))
    chain_of(1)
    result = verify_chain()
    assert not result.ok and result.finding.kind == "inserted" and result.finding.first_bad == 3
    notes = db.session.scalars(select(AuditLog.summary).where(AuditLog.action == "chain")).all()
    assert len(notes) == 1 and notes[0].startswith("链头封印不符")
    assert head().last_id == N + 2


def test_a_missing_head_is_a_finding(app, db, chain_of, runner):
    chain_of(2)
    tamper("DELETE FROM audit_chain_head")
    out = runner.invoke(args=["audit-verify"])
    assert out.exit_code == 1 and "链头记录缺失" in out.output


def test_a_missing_archive_file_is_bad_input(app, db, runner, tmp_path):
    out = runner.invoke(args=["audit-verify", "--archive", str(tmp_path / "nope.archive.json.gz")])
    assert out.exit_code == 1 and out.output.strip() == f"归档文件不存在：{tmp_path / 'nope.archive.json.gz'}"
