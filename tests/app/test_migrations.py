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
