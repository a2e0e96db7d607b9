"""Personal data encrypted at rest (SPEC §3.20): what the database holds, search through the
blind index, a value altered in the database, and the key rotation (interrupted, resumed)."""
import secrets

import pytest
from sqlalchemy import select, text

from app import crypto
from app.services import integrity, personal_data
from models import Expert, User
from tests import factories

ID = "11010519491231002X"
MOBILE = "13812345678"


def _raw(db, column, expert_id):
    return db.session.execute(text(f"SELECT {column} FROM expert WHERE id = :i"), {"i": expert_id}).scalar()


@pytest.fixture
def expert(app, db):
    e = factories.expert(name="王建国", id_number=ID, birth=__import__("datetime").date(1949, 12, 31), male=False,
                         mobile=MOBILE, address="常州市武进区湖塘镇花园新村12幢", wechat="wx_wangjg", qq="123456789",
                         email="wangjg@example.cn", work_phone="0519-86310627", home_phone="0519-86310628")
    factories.user(role="office", username="zhou", phone="13912345678")
    db.session.commit()
    return e


def test_every_personal_field_is_ciphertext_in_the_database_and_reads_back(app, db, expert):
    fields = {"id_number": ID, "mobile": MOBILE, "address": "常州市武进区湖塘镇花园新村12幢", "wechat": "wx_wangjg",
              "qq": "123456789", "email": "wangjg@example.cn", "work_phone": "0519-86310627",
              "home_phone": "0519-86310628"}
    for column, plain in fields.items():
        stored = _raw(db, column, expert.id)
        assert stored.startswith("sm4gcm:") and plain not in stored and "12345678" not in stored
    phone = db.session.execute(text("SELECT phone FROM \"user\" WHERE username = 'zhou'")).scalar()
    assert phone.startswith("sm4gcm:") and "13912345678" not in phone
    db.session.expire_all()
    again = db.session.get(Expert, expert.id)
    assert {k: getattr(again, k) for k in fields} == fields
    assert db.session.scalar(select(User.phone).where(User.username == "zhou")) == "13912345678"


def test_the_blind_index_finds_by_the_normalised_value_not_by_decrypting(app, db, expert):
    from models.base import blind_match

    assert _raw(db, "id_number_bidx", expert.id) not in (None, ID)
    for typed in (ID, ID.lower(), "110105 19491231 002X", "１１０１０５１９４９１２３１００２Ｘ"):
        assert db.session.scalar(select(Expert.name).where(blind_match(Expert.id_number, typed))) == "王建国"
    assert db.session.scalar(select(Expert.name).where(blind_match(Expert.mobile, "138 1234 5678"))) == "王建国"
    assert db.session.scalar(select(Expert.id).where(blind_match(Expert.mobile, "13812345679"))) is None


def test_office_searches_the_expert_list_by_full_id_number_and_phone(app, db, client, login_as, expert):
    factories.expert(name="李娜", male=False)
    db.session.commit()
    login_as("office")
    for term in (ID, MOBILE, "王建"):
        html = client.get("/admin/expert/", query_string={"search": term}).get_data(as_text=True)
        assert "王建国" in html and "李娜" not in html, term
    # A part of a number finds nothing: numbers are searchable whole only.
    html = client.get("/admin/expert/", query_string={"search": "12345678"}).get_data(as_text=True)
    assert "王建国" not in html


def test_a_value_altered_in_the_database_shows_a_message_not_an_error_page(app, db, client, login_as, expert):
    stored = _raw(db, "mobile", expert.id)
    tampered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    db.session.execute(text("UPDATE expert SET mobile = :m WHERE id = :i"), {"m": tampered, "i": expert.id})
    db.session.commit()
    db.session.expire_all()
    login_as("office")
    response = client.get("/admin/expert/")
    assert response.status_code == 200
    assert crypto.UNREADABLE_TEXT in response.get_data(as_text=True)
    response = client.get(f"/admin/expert/details/?id={expert.id}")
    assert response.status_code == 200 and crypto.UNREADABLE_TEXT in response.get_data(as_text=True)
    # Saving the record unchanged keeps the stored value as it was (nothing made up).
    e = db.session.get(Expert, expert.id)
    e.note = "改了备注"
    db.session.commit()
    assert _raw(db, "mobile", expert.id) == tampered
    found = [f for f in integrity.findings(deep=True) if f.code == "unreadable_values"]
    assert found and f"专家 #{expert.id} 的手机无法解密" in str(found[0])
    assert not [f for f in integrity.findings() if f.code == "unreadable_values"]  # not on the dashboard


def test_check_integrity_command_names_the_field(app, db, runner, expert):
    db.session.execute(text("UPDATE expert SET qq = :q WHERE id = :i"),
                       {"q": _raw(db, "wechat", expert.id), "i": expert.id})  # moved into another column
    db.session.commit()
    result = runner.invoke(args=["check-integrity"])
    assert result.exit_code == 1 and f"专家 #{expert.id} 的QQ号无法解密" in result.output


def _new_ring(app, monkeypatch, old_ring):
    """Key 2 current, key 1 still readable — the configuration during a rotation."""
    ring = crypto.Keyring("2", {"2": bytes.fromhex(secrets.token_hex(16)), **old_ring.keys})
    monkeypatch.setitem(app.extensions, crypto.EXTENSION, ring)
    return ring


def test_rotation_interrupted_then_resumed_reencrypts_every_value(app, db, runner, monkeypatch):
    experts = [factories.expert(name=f"专家{n}") for n in range(5)]
    db.session.commit()
    numbers = {e.id: e.id_number for e in experts}
    _new_ring(app, monkeypatch, crypto.keyring())

    # Interrupted after the second batch of two rows.
    commits = {"n": 0}
    real_commit = db.session.commit

    def failing_commit():
        real_commit()
        commits["n"] += 1
        if commits["n"] == 3:  # the audit entry of the start, then two batches
            raise KeyboardInterrupt

    monkeypatch.setattr(db.session, "commit", failing_commit)
    result = runner.invoke(args=["rotate-data-key", "--batch-size", "2"])
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert result.exit_code != 0
    assert "已用新密钥重新加密 2 行" in result.output
    ids = db.session.execute(text("SELECT id_number FROM expert ORDER BY id")).scalars().all()
    assert [i.split(":")[1] for i in ids] == ["2", "2", "2", "2", "1"]  # the last row not yet reached

    result = runner.invoke(args=["rotate-data-key", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "本次重新加密 1 行，此前已是新密钥 4 行" in result.output
    assert "全部个人信息已使用密钥 2 加密" in result.output
    assert set(personal_data.key_ids_in_use()) == {"2"}

    # Without key 1 everything still reads, and the blind indexes were remade under key 2.
    monkeypatch.setitem(app.extensions, crypto.EXTENSION,
                        crypto.Keyring("2", {"2": crypto.keyring().keys["2"]}))
    db.session.expire_all()
    assert {e.id: e.id_number for e in db.session.scalars(select(Expert))} == numbers
    from models.base import blind_match
    first = experts[0]
    assert db.session.scalar(select(Expert.id).where(blind_match(Expert.id_number, numbers[first.id]))) == first.id
    entries = db.session.execute(text("SELECT summary FROM audit_log WHERE action = 'key_rotation'")).scalars().all()
    assert any("完成数据加密密钥轮换" in s for s in entries)


def test_search_finds_rows_a_rotation_has_not_reached_yet(app, db, monkeypatch):
    from models.base import blind_match

    e = factories.expert(name="赵六", mobile="13700001111")
    db.session.commit()
    _new_ring(app, monkeypatch, crypto.keyring())
    assert db.session.scalar(select(Expert.id).where(blind_match(Expert.mobile, "13700001111"))) == e.id


def test_old_keys_are_read_from_the_configuration():
    ring = crypto.keyring_from_config({"DATA_ENCRYPTION_KEY": "1" * 32, "DATA_ENCRYPTION_KEY_ID": "2",
                                       "DATA_ENCRYPTION_OLD_KEYS": "1:" + "a" * 32}, "/nonexistent")
    assert ring.current_id == "2" and set(ring.keys) == {"1", "2"}
    with pytest.raises(ValueError, match="DATA_ENCRYPTION_OLD_KEYS"):
        crypto.keyring_from_config({"DATA_ENCRYPTION_KEY": "1" * 32, "DATA_ENCRYPTION_OLD_KEYS": "zz"}, "/x")
