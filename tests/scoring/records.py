"""Scoring records for tests: the seeded 附件5 form, full score sheets, jobs of a unit,
evaluations saved through the service, and the fields the phone form posts.

Plain functions like ``tests/factories.py`` (each flushes); a test imports the module:
``from tests.scoring import records``."""
import datetime as dt
import itertools
import uuid

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.scoring import evaluations as scoring
from models import Assignment, FormVersion, UsageRequest
from tests import factories

_seq = itertools.count(1)


def form_v1() -> FormVersion:
    return db.session.scalar(select(FormVersion).where(FormVersion.form_id == scoring.annex5_form().id,
                                                       FormVersion.number == 1))


def full_scores(form: FormVersion, variant: str = "A") -> dict[int, int]:
    """Every required item and every item of ``variant`` at its maximum."""
    sections = scoring.form_sections(form)
    return {i.id: i.max_score for i in sections["required"] + sections[variant]}


def item_at(form: FormVersion, number: int, variant: str = "A"):
    """The item printed as 序号 ``number`` (8–15 taken from ``variant``)."""
    sections = scoring.form_sections(form)
    items = sections["required"] + sections[variant]
    return items[number - 1]


def unit(kind="brigade", name=None):
    return factories.org_unit(name=name, kind=kind)


def scorer(role="department", unit=None, **kw):
    unit = unit or factories.org_unit(kind="brigade" if role == "department" else "town")
    return factories.user(role=role, org_unit_=unit, **kw)


def job(unit, expert=None, on: dt.date | None = None, *, response="accepted", attended=True,
        completed=True, enterprises=None, state="completed"):
    """A one-day request of ``unit`` on ``on`` with one assignment of ``expert``."""
    on = on or clock.today() - dt.timedelta(days=2)
    expert = expert or factories.appointed_expert()
    req = UsageRequest(request_no=f"T-{next(_seq):06d}", unit=unit, activity_type="inspection",
                       subject="危险化学品企业专项执法检查", start_date=on, end_date=on, headcount=1, state=state)
    req.enterprises = enterprises if enterprises is not None else [factories.enterprise()]
    db.session.add(req)
    a = Assignment(request=req, expert=expert, response=response, attended=attended)
    if completed and attended:
        a.completed_at = dt.datetime.combine(on, dt.time(9), dt.UTC)
    db.session.add(a)
    db.session.flush()
    return a


def entry(expert=None, *, variant="A", scores=None, form=None, on: dt.date | None = None, **kw):
    form = form or scoring.current_form()
    return scoring.EvaluationEntry(
        form_id=form.id, variant=variant, expert_id=expert.id if expert else None,
        enterprise_name=kw.pop("enterprise_name", "常州华润化工有限公司"), matter=kw.pop("matter", "执法检查"),
        evaluator_name=kw.pop("evaluator_name", "钱立军"),
        evaluated_on=(on or clock.today() - dt.timedelta(days=1)).isoformat(),
        scores=scores if scores is not None else full_scores(form, variant), **kw,
    )


def evaluation(by, expert=None, *, variant="A", on=None, submitted_on: dt.date | None = None, **kw):
    """A saved evaluation of ``by``'s unit; ``submitted_on`` backdates when it arrived."""
    expert = expert or factories.appointed_expert()
    ev, _ = scoring.save_evaluation(entry(expert, variant=variant, on=on, **kw), by=by,
                                    client_uuid=str(uuid.uuid4()))
    if submitted_on is not None:
        ev.submitted_at = clock.at_local(submitted_on)
    db.session.flush()
    return ev


def form_fields(form: FormVersion, *, variant="A", expert_id=None, assignment_id=None, scores=None, **extra) -> dict:
    """The fields the phone page posts (what a browser without JavaScript sends); ``scores`` by field id."""
    scores = scores if scores is not None else full_scores(form, variant)
    data = {
        "version_id": str(form.id), "g_1": variant, "f_enterprise_name": "常州华润化工有限公司",
        "f_matter": "执法检查：危险化学品企业专项执法检查", "f_evaluator_name": "钱立军",
        "f_evaluated_on": (clock.today() - dt.timedelta(days=1)).isoformat(), "f_suggestions": "",
        "client_uuid": str(uuid.uuid4()),
    }
    if expert_id is not None:
        data["expert_id"] = str(expert_id)
    if assignment_id is not None:
        data["assignment_id"] = str(assignment_id)
    for item in form.fields:  # the plain form posts every item, the other variant's left empty
        if item.kind != "score":
            continue
        data[f"f_{item.key}"] = str(scores[item.id]) if item.id in scores else ""
        data[f"n_{item.key}"] = ""
    data.update(extra)
    return data
