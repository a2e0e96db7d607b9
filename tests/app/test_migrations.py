"""``flask db upgrade`` builds exactly the schema the models describe, and the 12 groups."""
import os

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


def test_0013_counts_permits_issued_before_it_as_printed(tmp_path):
    """Permits handed out before the office's queue existed must not all show up as 待打印."""
    from flask_migrate import downgrade

    from models import Permit
    from tests import factories

    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            downgrade(revision="0020_audit_client_addr")  # the revision before 0013_inbox_queues
            expert = factories.expert(name="孙立")
            db.session.execute(text(
                "INSERT INTO permit (id, expert_id, permit_no, token, issued_at, scan_count, created_at, updated_at) "
                "VALUES (1, :e, 'WJAQZJ-2026-0001', 'tok', '2026-03-01 02:00:00', 0, '2026-03-01 02:00:00', "
                "'2026-03-01 02:00:00')"), {"e": expert.id})
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
