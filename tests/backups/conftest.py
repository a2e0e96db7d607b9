"""Fixtures of the backup tests: a small world of records and uploads, and how to compare."""
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from app.services import backups
from models import Enterprise, Expert, User
from tests import factories


def _snapshot(db) -> dict:
    """Every row of every table, as sorted text."""
    db.session.remove()
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        out[table.name] = sorted(repr(tuple(r)) for r in rows)
    db.session.remove()
    return out


def _files(root: Path) -> dict:
    """Every upload and its checksum (not the marker naming the folder's database)."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != backups.MARKER}


@pytest.fixture
def world(app, db):
    """Experts, an enterprise, users, and uploaded files."""
    factories.appointed_expert(name="王建国", employer="江苏常州化工研究所有限公司")
    factories.expert(name="李娜", male=False)
    factories.enterprise(name="常州市武进区某某化工有限公司")
    factories.user(role="office", username="zhou")
    db.session.commit()
    root = Path(app.config["UPLOAD_DIR"])
    (root / "photos").mkdir(parents=True)
    (root / "documents" / "2026").mkdir(parents=True)
    (root / "photos" / "a.jpg").write_bytes(b"\xff\xd8\xff" + b"photo-a" * 100)
    (root / "documents" / "2026" / "id.pdf").write_bytes(b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n")
    (root / "documents" / "2026" / "身份证扫描.png").write_bytes(b"\x89PNG" + b"y" * 300)
    return root


def _change_everything(db, root: Path):
    expert = db.session.scalar(select(Expert).where(Expert.name == "王建国"))
    expert.name = "王建国（已改）"
    db.session.add(Enterprise(name="备份后新增的企业有限公司", uscc=factories.uscc()))
    db.session.delete(db.session.scalar(select(User).where(User.username == "zhou")))
    db.session.commit()
    (root / "photos" / "a.jpg").write_bytes(b"changed")
    (root / "photos" / "new.jpg").write_bytes(b"new file after the backup")
    (root / "documents" / "2026" / "id.pdf").unlink()
