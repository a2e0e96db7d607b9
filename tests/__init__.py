"""The test suite. Under pytest-xdist, each worker process gets a database of its own.

This package is imported before any test module imports ``app.config``, whose ``TestConfig``
reads ``TEST_DATABASE_URL`` once, at import — so the URL is rewritten here. SQLite in memory
(the default) is private to each process already. On a server, worker ``gw0`` uses the
database ``<name>_gw0``, created here from scratch: the workers' fixtures truncate tables and
drop the schema, and must never do it to each other.
"""
import os


def _database_of_this_worker() -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(url)
    if not server.get_backend_name().startswith("postgresql") or server.database.endswith(f"_{worker}"):
        return  # another database kind, or a child process that inherited the rewritten URL
    name = f"{server.database}_{worker}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    os.environ["TEST_DATABASE_URL"] = server.set(database=name).render_as_string(hide_password=False)


_database_of_this_worker()
