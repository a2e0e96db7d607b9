"""Dispatch helpers for tests: expert groups by name. Plain functions like tests/factories.py."""
from sqlalchemy import select

from app.extensions import db
from models import ExpertGroup


def group_ids(*names):
    """The ids of the seeded expert groups ``names`` (a request's 专家组别)."""
    return [db.session.scalar(select(ExpertGroup.id).where(ExpertGroup.name == n)) for n in names]
