"""``flask db upgrade`` builds exactly the schema the models describe, and the 12 groups."""
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db

URLS = ["sqlite"] + (["server"] if os.environ.get("TEST_DATABASE_URL") else [])


def _clean(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.mark.parametrize("which", URLS)
def test_migrated_schema_matches_models(tmp_path, which):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}" if which == "sqlite" else os.environ["TEST_DATABASE_URL"]
    _clean(url)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
                groups = conn.execute(text("SELECT name FROM expert_group ORDER BY sort_order")).scalars().all()
            assert diff == [], diff
            assert groups == ["化工", "烟花爆竹", "冶金煤气", "机械", "电气", "建材", "纺织", "轻工", "金属冶炼",
                              "金属粉尘", "木质粉尘", "有限空间"]
            assert "audit_log" in inspect(db.engine).get_table_names()
    finally:
        with app.app_context():
            db.engine.dispose()
        _clean(url)


def test_0003_frees_the_records_of_draft_batches_only(tmp_path):
    """Databases of the earlier code linked a draft's records when it was built; 0003 unlinks them."""
    import datetime as dt
    from decimal import Decimal

    from flask_migrate import downgrade
    from sqlalchemy import insert, select

    from models import PayoutBatch, PayoutLine, ServiceRecord
    from tests import factories

    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            downgrade(revision="0002")
            # Rows of the old schema, without the audit hook: today's audit_log has columns
            # that revision 0002 does not know.
            db.session.info["audit_off"] = True
            expert = factories.expert(name="王建国")
            db.session.execute(insert(PayoutBatch), [
                {"id": 1, "year": 2026, "quarter": 1, "sequence": 1, "state": "reviewed"},
                {"id": 2, "year": 2026, "quarter": 2, "sequence": 1, "state": "draft"},
            ])
            db.session.execute(insert(PayoutLine), [
                {"id": 10 + b, "batch_id": b, "expert_id": expert.id, "pay_month": "2026-07", "service_count": 1,
                 "gross": Decimal("1000.00"), "tax": Decimal("40.00"), "net": Decimal("960.00"), "is_adjustment": False}
                for b in (1, 2)
            ])
            db.session.execute(insert(ServiceRecord), [
                {"id": 100 + b, "expert_id": expert.id, "activity": "inspection", "service_date": dt.date(2026, 3 * b, 2),
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
