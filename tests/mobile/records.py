"""Phone-workspace records for tests: a town's job drawn through the service, finished by its
expert, evaluated by the unit. Plain functions like tests/factories.py.
"""
import datetime as dt

from app import clock
from app.extensions import db
from app.services.dispatch import draws, usage_requests
from tests.dispatch.records import group_ids

MONDAY = dt.date(2026, 6, 8)  # a working day far from any holiday (the frozen clock's day)


def make_job(unit, enterprise, *, start=MONDAY + dt.timedelta(days=2), days=1, headcount=1, backups=1,
             drawn=True, subject="危险化学品企业专项执法检查", **kw):
    """A request of ``unit`` through the service, drawn unless told otherwise."""
    req = usage_requests.create_request(
        unit=unit, activity_type=kw.pop("activity_type", "inspection"), subject=subject, start_date=start,
        end_date=start + dt.timedelta(days=days - 1), groups=group_ids("化工"), enterprises=[enterprise],
        headcount=headcount, backups=backups, **kw)
    if drawn and not req.emergency:
        draws.draw(req)
    db.session.commit()
    return req


def finish(req, *, accept=True, complete=True, units=None):
    """The job's drawn expert accepts and (unless told otherwise) is recorded as done."""
    from app.services.dispatch import completion, responses

    a = next(x for x in req.assignments if not x.is_backup)
    if accept:
        responses.respond(a, "accepted")
    if accept and complete:
        started = None
        if req.activity_type == "emergency":
            started = dt.datetime.combine(req.start_date, dt.time(10))
        completion.complete_assignment(a, attended=True, units=units, service_date=req.start_date, started_at=started)
    db.session.commit()
    return a


def evaluate(user, assignment, variant="A", on=None):
    """An evaluation of ``assignment`` by ``user``'s unit, every item at full marks."""
    import uuid

    from app.services.scoring import evaluations as scoring
    from tests.scoring.records import full_scores

    form = scoring.current_form()
    entry = scoring.EvaluationEntry(
        form_id=form.id, variant=variant, expert_id=assignment.expert_id, assignment_id=assignment.id,
        enterprise_name="常州华润化工有限公司", matter="执法检查", evaluator_name="张伟",
        evaluated_on=(on or clock.today()).isoformat(), scores=full_scores(form, variant))
    ev, _ = scoring.save_evaluation(entry, by=user, client_uuid=str(uuid.uuid4()))
    db.session.commit()
    return ev
