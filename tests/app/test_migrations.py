"""``flask db upgrade`` builds exactly the schema the models describe, and the 12 groups."""
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db

URLS = ["sqlite"] + (["server"] if os.environ.get("TEST_DATABASE_URL") else [])


@contextmanager
def _columns_added_since(*tables):
    """Lets today's models write rows into an older schema: the columns of ``tables`` added
    since are added as plain nullable columns while the rows are built, then dropped again,
    so the migrations under test fill them as they would on a real installation."""
    have = {name: {c["name"] for c in inspect(db.engine).get_columns(name)} for name in tables}
    added = [(name, col) for name in tables for col in db.metadata.tables[name].columns if col.name not in have[name]]
    # Columns widened since (encrypted values are longer): PostgreSQL enforces the length.
    widened = [(name, col) for name in tables for col in db.metadata.tables[name].columns
               if col.name in have[name] and getattr(col.type, "plain_length", None)]
    with db.engine.begin() as conn:
        for name, col in added:
            conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {col.name} {col.type.compile(db.engine.dialect)}")
        if db.engine.dialect.name == "postgresql":
            for name, col in widened:
                kind = col.type.compile(db.engine.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {name} ALTER COLUMN {col.name} TYPE {kind}")
    yield
    db.session.remove()
    with db.engine.begin() as conn:
        for name, col in added:
            conn.exec_driver_sql(f"ALTER TABLE {name} DROP COLUMN {col.name}")


def _clean(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@contextmanager
def _empty_database(tmp_path, which):
    """An app on an empty database (a SQLite file, or the server's, wiped before and after),
    inside its app context."""
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}" if which == "sqlite" else os.environ["TEST_DATABASE_URL"]
    _clean(url)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _clean(url)


def _schema_diff() -> list:
    """What differs between the database's schema and the models' (empty when they agree)."""
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)


@pytest.mark.parametrize("which", URLS)
def test_migrated_schema_matches_models(tmp_path, which):
    with _empty_database(tmp_path, which):
        upgrade()
        diff = _schema_diff()
        assert diff == [], diff
        with db.engine.connect() as conn:
            groups = conn.execute(text("SELECT name FROM expert_group ORDER BY sort_order")).scalars().all()
        assert groups == ["化工", "烟花爆竹", "冶金煤气", "机械", "电气", "建材", "纺织", "轻工", "金属冶炼",
                          "金属粉尘", "木质粉尘", "有限空间"]
        assert "audit_log" in inspect(db.engine).get_table_names()


@pytest.mark.parametrize("which", URLS)
def test_every_migration_can_be_rolled_back_and_applied_again(tmp_path, which):
    """An update that must be taken back: ``flask db downgrade`` walks the whole chain down to an
    empty database, and ``upgrade`` builds the same schema again."""
    from flask_migrate import downgrade

    with _empty_database(tmp_path, which):
        upgrade()
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        diff = _schema_diff()
        assert diff == [], diff


def test_0003_frees_the_records_of_draft_batches_only(tmp_path):
    """Databases of the earlier code linked a draft's records when it was built; 0003 unlinks them."""
    import datetime as dt
    from decimal import Decimal

    from flask_migrate import downgrade
    from sqlalchemy import insert, select

    from models import Expert, PayoutBatch, PayoutLine, ServiceRecord

    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            downgrade(revision="0002")
            # Rows of the old schema, without the audit hook: today's audit_log has columns
            # that revision 0002 does not know.
            db.session.info["audit_off"] = True
            # (Core insert of the columns 0002 knows: the model has columns added since.)
            expert_id = db.session.execute(insert(Expert.__table__).values(
                name="王建国", gender="male", birth_date=dt.date(1975, 5, 17), employer="常州测试化工有限公司",
                education="bachelor", id_number="11010519491231002X", mobile="13812345678", version=1,
            )).inserted_primary_key[0]
            db.session.execute(insert(PayoutBatch), [
                {"id": 1, "year": 2026, "quarter": 1, "sequence": 1, "state": "reviewed"},
                {"id": 2, "year": 2026, "quarter": 2, "sequence": 1, "state": "draft"},
            ])
            db.session.execute(insert(PayoutLine), [
                {"id": 10 + b, "batch_id": b, "expert_id": expert_id, "pay_month": "2026-07", "service_count": 1,
                 "gross": Decimal("1000.00"), "tax": Decimal("40.00"), "net": Decimal("960.00"), "is_adjustment": False}
                for b in (1, 2)
            ])
            db.session.execute(insert(ServiceRecord), [
                {"id": 100 + b, "expert_id": expert_id, "activity": "inspection",
                 "service_date": dt.date(2026, 3 * b, 2),
                 "payer": "bureau", "amount": Decimal("1000.00"), "payout_line_id": 10 + b, "version": 1}
                for b in (1, 2)
            ])
            db.session.commit()
            db.session.info.pop("audit_off", None)
            upgrade()
            linked = dict(db.session.execute(select(ServiceRecord.id, ServiceRecord.payout_line_id)).all())
            assert linked == {101: 11, 102: None}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _legacy_evaluations() -> list[tuple]:
    """The evaluations as the code before the form engine stored them: version, expert, total,
    variant, suggestions, and every (item, score, problem), by number and text rather than id."""
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.id, f.version, e.expert_id, e.total, e.variant, e.suggestions, e.client_uuid "
            "FROM evaluation e JOIN eval_form f ON f.id = e.form_id ORDER BY e.id")).all()
        scores = conn.execute(text(
            "SELECT s.evaluation_id, i.section, i.position, i.text, i.max_score, s.score, s.problem "
            "FROM eval_score s JOIN eval_item i ON i.id = s.item_id ORDER BY s.evaluation_id, i.section, i.position"
        )).all()
    return [(*row[1:], [tuple(s[1:]) for s in scores if s[0] == row[0]]) for row in rows]


@pytest.mark.parametrize("which", URLS)
def test_0016_moves_evaluations_onto_the_form_engine_and_every_rule_reads_the_same(tmp_path, which):
    """Evaluations stored by the code before the form engine (two versions of 附件5, seven
    evaluations with their scores, 发现问题 and 意见和建议) keep their scores, totals and
    versions, and coverage, the submissions board, the score statistics, the annual
    assessment's figures, the low-score items and the 附件5 PDF come out exactly as the code
    before the engine computed them (tests/app/legacy_evaluations_expected.json was written by
    it from the same data)."""
    import json
    from pathlib import Path

    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade
    from sqlalchemy import select

    from app.services.forms.definitions import current_version, form_by_code
    from app.services.reference import ensure_reference_data
    from models import Evaluation
    from tests.app import legacy_evaluations

    url = f"sqlite:///{tmp_path / 'e.sqlite3'}" if which == "sqlite" else os.environ["TEST_DATABASE_URL"]
    _clean(url)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(tmp_path)})
    root = Path(__file__).resolve().parents[2]
    before = ScriptDirectory(str(root / "migrations")).get_revision("0016_forms_engine").down_revision
    try:
        with app.app_context():
            upgrade(revision=before)
            with _columns_added_since("expert"):
                legacy_evaluations.build()
            db.session.remove()
            stored = _legacy_evaluations()
            upgrade()
            ensure_reference_data()  # what `seed-demo`/start-up adds: must not add a second 附件5
            db.session.commit()
            expected = json.loads((Path(__file__).parent / "legacy_evaluations_expected.json").read_text("utf-8"))
            assert json.loads(json.dumps(legacy_evaluations.figures(), ensure_ascii=False, default=str)) == expected

            annex5 = form_by_code("annex5")
            assert [v.number for v in annex5.versions] == [1, 2]
            assert current_version(annex5).number == 2
            assert current_version(annex5).sections[1].fields[0].label == "态度诚恳，沟通顺畅，按时到场"
            evaluations = db.session.scalars(select(Evaluation).order_by(Evaluation.id)).all()
            assert [(e.version.number, e.total, e.variant) for e in evaluations] == [
                (1, 100, "A"), (1, 95, "B"), (2, 96, "B"), (1, 91, "A"), (2, 100, "A"), (2, 94, "B"), (2, 100, "B")]
            first, second = evaluations[0], evaluations[1]
            assert first.suggestions == "建议加强学习。" and first.submission.client_uuid == "legacy-0001"
            assert [(s.item.label, s.score, s.problem) for s in second.scores if s.problem] == [
                ("发现的事故隐患、不安全因素及时复查闭环", 2, "复查闭环不及时")]
            assert all(len(e.scores) == 15 for e in evaluations)
            assert {a.field.key for a in first.submission.answers} >= {"enterprise_name", "matter", "evaluator_name",
                                                                       "evaluated_on", "suggestions", "R1", "A8"}

            # Back to the code before the engine (a rollback) and forward again: nothing lost.
            db.session.remove()
            downgrade(revision=before)
            assert _legacy_evaluations() == stored
            upgrade()
            assert json.loads(json.dumps(legacy_evaluations.figures(), ensure_ascii=False, default=str)) == expected
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _clean(url)


def test_0013_counts_permits_issued_before_it_as_printed(tmp_path):
    """Permits handed out before the office's queue existed must not all show up as 待打印."""
    from pathlib import Path

    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade

    from models import Permit
    from tests import factories

    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            downgrade(revision=ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations"))
                      .get_revision("0013_inbox_queues").down_revision)
            from app.services import audit
            # The audit chain's tables come later than 0013; columns widened since are added back.
            with audit.suspended(db.session), _columns_added_since("expert"):
                expert = factories.expert(name="孙立")
                db.session.execute(text(
                    "INSERT INTO permit (id, expert_id, permit_no, token, issued_at, scan_count, created_at, "
                    "updated_at) VALUES (1, :e, 'WJAQZJ-2026-0001', 'tok', '2026-03-01 02:00:00', 0, "
                    "'2026-03-01 02:00:00', '2026-03-01 02:00:00')"), {"e": expert.id})
                db.session.commit()
            upgrade()
            permit = db.session.get(Permit, 1)
            assert permit.printed_at is not None and permit.printed_at == permit.issued_at
            columns = {c["name"] for c in inspect(db.session.connection()).get_columns("application")}
            assert {"direct_proposed_at", "direct_proposal"} <= columns
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_0012_encrypts_existing_two_factor_secrets(tmp_path):
    """Accounts enrolled before 0012 hold their TOTP secret in plain text; 0012 encrypts it with
    the installation's key (readable through the model, not in the database); downgrading undoes it."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade

    from models import User

    scripts = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations"))
    before = scripts.get_revision("0012_login_security").down_revision  # the lead may re-chain it

    url = f"sqlite:///{tmp_path / 'e.sqlite3'}"
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade(revision=before)
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO \"user\" (id, username, full_name, password_hash, role, active, failed_logins, "
                    "session_epoch, totp_secret) VALUES (1, 'zhou', '周焱', 'x', 'office', 1, 0, 0, :s), "
                    "(2, 'li', '李敏', 'x', 'town', 1, 0, 0, NULL)"), {"s": secret})
            upgrade()
            with db.engine.connect() as conn:
                stored = conn.execute(text("SELECT totp_secret FROM \"user\" ORDER BY id")).scalars().all()
            assert stored[0].startswith("sm4gcm:1:") and secret not in stored[0] and stored[1] is None
            assert db.session.get(User, 1).totp_secret == secret
            db.session.remove()
            downgrade(revision=before)
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT totp_secret FROM \"user\" WHERE id = 1")).scalar() == secret
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("which", URLS)
def test_0018_encrypts_personal_data_in_place_and_fills_the_blind_indexes(tmp_path, which):
    """An installation from before 0018 holds ID numbers, phones and addresses in clear; 0018
    encrypts every one with the installation's key, fills the blind indexes (search and the
    duplicate check find them), and downgrading gives the clear values back."""
    import datetime as dt

    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade
    from sqlalchemy import select

    from app.services.lifecycle import intake
    from models import Expert, User
    from models.base import blind_match

    scripts = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations"))
    before = scripts.get_revision("0018_personal_data_sm4").down_revision  # the lead may re-chain it
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}" if which == "sqlite" else os.environ["TEST_DATABASE_URL"]
    _clean(url)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    clear = {"id_number": "11010519491231002X", "mobile": "13812345678", "address": "常州市武进区湖塘镇花园新村12幢",
             "wechat": "wx_wangjg", "qq": "123456789", "email": "wangjg@example.cn", "work_phone": "0519-86310627",
             "home_phone": None}
    try:
        with app.app_context():
            upgrade(revision=before)
            now = dt.datetime(2026, 3, 1, 2, 0)
            with db.engine.begin() as conn:
                for n, number in ((1, clear["id_number"]), (2, "320412198001010014")):
                    conn.execute(text(
                        "INSERT INTO expert (id, name, gender, birth_date, ethnicity, employer, title_level, education,"
                        " full_time_education, registered_safety_engineer, registered_safety_assessor, id_number,"
                        " retired, address, wechat, work_phone, home_phone, mobile, email, qq, source, stage,"
                        " health_declared, ethics_declared, created_at, updated_at, version) VALUES (:id, :name,"
                        " 'female', :birth, '汉族', '某公司', 'none', 'bachelor', :t, :f, :f, :id_number, :f, :address,"
                        " :wechat, :work_phone, :home_phone, :mobile, :email, :qq, 'district', 'in_pool', :f, :f,"
                        " :now, :now, 1)"),
                        {**clear, "id": n, "name": f"专家{n}", "birth": dt.date(1949, 12, 31), "t": True, "f": False,
                         "id_number": number, "mobile": f"1381234567{n}", "now": now})
                conn.execute(text(
                    "INSERT INTO \"user\" (id, username, full_name, password_hash, role, active, failed_logins, "
                    "session_epoch, phone) VALUES (1, 'zhou', '周焱', 'x', 'office', :t, 0, 0, '13912345678')"),
                    {"t": True})
            upgrade()
            with db.engine.connect() as conn:
                row = conn.execute(text(f"SELECT {', '.join(clear)}, id_number_bidx, mobile_bidx FROM expert "
                                        "WHERE id = 1")).mappings().one()
                phone = conn.execute(text("SELECT phone FROM \"user\"")).scalar()
            for column, value in clear.items():
                if value is None:
                    assert row[column] is None
                else:
                    assert row[column].startswith("sm4gcm:1:") and value not in row[column], column
            assert phone.startswith("sm4gcm:1:") and len(row["id_number_bidx"]) == 64
            expert = db.session.get(Expert, 1)
            assert {k: getattr(expert, k) for k in clear} == {**clear, "mobile": "13812345671"}
            assert db.session.get(User, 1).phone == "13912345678"
            assert db.session.scalar(select(Expert.id).where(blind_match(Expert.mobile, "13812345672"))) == 2
            assert intake.id_number_taken("11010519491231002x")
            db.session.remove()
            downgrade(revision=before)
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT id_number, address, mobile FROM expert WHERE id = 1")).one() == (
                    clear["id_number"], clear["address"], "13812345671")
                assert conn.execute(text("SELECT phone FROM \"user\"")).scalar() == "13912345678"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _clean(url)


@pytest.mark.parametrize("which", URLS)
def test_0021_seals_the_values_of_personal_registry_fields(tmp_path, which):
    """Values of a registry field marked personal data are encrypted in place (and only
    those: the others stay searchable); downgrading gives them back in clear, and upgrading
    again seals them once more."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade

    from app.services.lifecycle import extra_fields
    from tests import factories

    scripts = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations"))
    before = scripts.get_revision("0021_sealed_field_values").down_revision
    url = f"sqlite:///{tmp_path / 's.sqlite3'}" if which == "sqlite" else os.environ["TEST_DATABASE_URL"]
    _clean(url)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            secret = extra_fields.add_field({"label": "家属联系电话", "kind": "text", "personal": True})
            plain = extra_fields.add_field({"label": "特种作业操作证编号", "kind": "text"})
            expert = factories.appointed_expert(name="王建国")
            extra_fields.store_values(expert.id, {secret.key: "13912345678", plain.key: "T320412"})
            expert_id, keys = expert.id, (secret.key, plain.key)
            db.session.commit()
            db.session.remove()

            def stored():
                with db.engine.connect() as conn:
                    return {key: tuple(conn.execute(text(
                        "SELECT value, sealed FROM expert_field_value WHERE field_key = :k"), {"k": key}).one())
                        for key in keys}

            sealed = stored()
            assert sealed[keys[0]][0] == "" and sealed[keys[0]][1].startswith("sm4gcm:1:")
            assert "13912345678" not in sealed[keys[0]][1] and sealed[keys[1]] == ("T320412", None)
            downgrade(revision=before)
            with db.engine.connect() as conn:
                rows = dict(conn.execute(text("SELECT field_key, value FROM expert_field_value")).all())
            assert rows == {keys[0]: "13912345678", keys[1]: "T320412"}
            upgrade()
            again = stored()
            assert again[keys[0]][0] == "" and again[keys[0]][1].startswith("sm4gcm:1:")
            assert again[keys[1]] == ("T320412", None)
            assert extra_fields.values_of(expert_id) == {keys[0]: "13912345678", keys[1]: "T320412"}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _clean(url)
