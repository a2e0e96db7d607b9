"""A database full of attack strings, built generically over every admin view's model."""
import itertools

import pytest
from sqlalchemy import String, Text, inspect

from app.extensions import db as _db
from models import Enterprise, Expert, OrgUnit
from tests import factories
from tests.security.payloads import RowBuilder, text_for

_n = itertools.count(9000)


def _fill_empty_text(row):
    """Markup into every text column the factory left empty."""
    for column in inspect(type(row)).columns:
        if isinstance(column.type, (String, Text)) and not column.foreign_keys and getattr(row, column.key) is None:
            value = text_for(column, next(_n))
            if value is not None:
                setattr(row, column.key, value)
    return row


def admin_model_views(app):
    """Every admin view that lists a model, in menu order."""
    admin = app.extensions["admin"][0]
    return [v for v in admin._views if getattr(v, "model", None) is not None]


@pytest.fixture
def hostile(app, db):
    """Rows with markup in every free-text field: a unit, an expert, an enterprise, and one
    row of every model an admin view shows. Returns the ``RowBuilder`` (its ``pool``)."""
    unit = _fill_empty_text(OrgUnit(kind="town", name='<script>alert("unit")</script>'))
    _db.session.add(unit)
    expert = factories.appointed_expert(name='<s>x1</s>王', employer='<script>alert("x2")</script>化工')
    _fill_empty_text(expert)
    expert.town = unit
    enterprise = _fill_empty_text(factories.enterprise(name='<script>alert("x3")</script>有限公司'))
    _db.session.flush()
    builder = RowBuilder({OrgUnit: unit, Expert: expert, Enterprise: enterprise})
    for view in admin_model_views(app):
        builder.row_for(view.model)
    _db.session.commit()
    return builder
