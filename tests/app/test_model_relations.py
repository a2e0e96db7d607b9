"""The models show their relations: every two-sided relation is declared on both classes
(``back_populates``), never conjured on the far side by a ``backref``, so reading
``models/expert.py`` tells what an expert's record gathers (issue 15)."""
from sqlalchemy.orm import configure_mappers

from app.extensions import db


def _relationships():
    configure_mappers()
    for mapper in db.Model.registry.mappers:
        for rel in mapper.relationships:
            yield mapper.class_, rel


def test_no_relation_is_made_by_a_backref(app):
    made_elsewhere = [f"{cls.__name__}.{rel.key}" for cls, rel in _relationships() if rel.backref]
    assert made_elsewhere == []


def test_every_two_sided_relation_names_its_partner_on_both_classes(app):
    for cls, rel in _relationships():
        if rel._reverse_property:
            assert rel.back_populates, f"{cls.__name__}.{rel.key}"
            # The partner is declared (typed) on its own class, not added when the mappers configure.
            assert rel.key in cls.__annotations__, f"{cls.__name__}.{rel.key}"


def test_expert_shows_what_its_record_gathers(app):
    from models import Expert

    declared = set(Expert.__annotations__)
    assert {"terms", "permits", "violations", "evaluations", "assignments", "service_records", "timeline",
            "dismissals", "commitment_letters", "interviews", "assessments", "conflicts", "follow_ups",
            "opinions"} <= declared
    # Same loading as the backrefs had: lazy select, no ordering, no delete cascade.
    for key in ("terms", "permits", "violations", "timeline"):
        rel = Expert.__mapper__.relationships[key]
        assert rel.lazy == "select" and rel.order_by is False and "delete" not in rel.cascade
