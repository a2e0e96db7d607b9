"""Test-data factories: valid Chinese records with unique, checksum-correct identifiers."""
import datetime as dt
import itertools

from sqlalchemy import select
from stdnum.cn import ric

from app import clock
from app.auth.passwords import hash_password
from app.extensions import db
from models import (
    CommitmentLetter,
    Enterprise,
    Evaluation,
    Expert,
    ExpertGroup,
    FormAnswer,
    FormSubmission,
    OrgUnit,
    Term,
    User,
)

PASSWORD = "Zhuanjia#2026pw"
_seq = itertools.count(1)


def id_number(birth: dt.date, male: bool = True, seq: int | None = None) -> str:
    """A valid 18-digit 身份证号 for a 常州市武进区 birth registration (area 320412)."""
    n = next(_seq) if seq is None else seq
    order = (n * 2 + (1 if male else 0)) % 1000
    if order % 2 != (1 if male else 0):
        order = (order + 1) % 1000
    body = f"320412{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def uscc(seq: int | None = None) -> str:
    """A valid 统一社会信用代码."""
    from stdnum.cn import uscc as _uscc

    n = next(_seq) if seq is None else seq
    body = f"91320412MA{n:07d}"[:17]
    body = body.ljust(17, "0")
    return body + _uscc.calc_check_digit(body)


def group(name: str) -> ExpertGroup:
    return db.session.scalar(select(ExpertGroup).where(ExpertGroup.name == name))


def org_unit(name=None, kind="section") -> OrgUnit:
    unit = OrgUnit(name=name or f"测试单位{next(_seq)}", kind=kind)
    db.session.add(unit)
    db.session.flush()
    return unit


def user(role="office", username=None, password=PASSWORD, org_unit_=None, expert_=None, **kw) -> User:
    n = next(_seq)
    if org_unit_ is None and role in ("department", "town"):
        org_unit_ = org_unit(kind="section" if role == "department" else "town")
    if expert_ is None and role == "expert":
        expert_ = expert()
    u = User(username=username or f"{role}{n}", full_name=kw.pop("full_name", f"测试{role}{n}"), role=role,
             org_unit=org_unit_, expert=expert_, password_hash=hash_password(password), active=True, **kw)
    db.session.add(u)
    db.session.flush()
    return u


def expert(name=None, groups=("化工",), birth=dt.date(1975, 5, 17), male=True, **kw) -> Expert:
    n = next(_seq)
    fields = dict(
        name=name or f"专家{n}", gender="male" if male else "female", birth_date=birth,
        employer=kw.pop("employer", f"常州测试化工有限公司{n}"), education="bachelor", title="高级工程师",
        title_level="associate_senior", id_number=id_number(birth, male), mobile=f"139{n:08d}"[:11],
        stage="in_pool", field_start_year=2000,
    )
    fields.update(kw)
    e = Expert(**fields)
    e.groups = [group(g) for g in groups]
    db.session.add(e)
    db.session.flush()
    return e


def appointed_expert(start=None, end=None, **kw) -> Expert:
    """An expert with a term from ``start`` (30 days ago) to ``end`` (three years on) and a
    signed commitment letter."""
    start = start or clock.today() - dt.timedelta(days=30)
    e = expert(**kw)
    term = Term(expert=e, cohort=1, doc_no="武应急〔2026〕1号", start_date=start,
                end_date=end or start.replace(year=start.year + 3) - dt.timedelta(days=1))
    db.session.add(term)
    db.session.add(CommitmentLetter(expert=e, signed_on=start))
    db.session.flush()
    return e


def enterprise(name=None, **kw) -> Enterprise:
    n = next(_seq)
    ent = Enterprise(name=name or f"武进测试企业{n}有限公司", uscc=kw.pop("uscc", uscc(n)), **kw)
    db.session.add(ent)
    db.session.flush()
    return ent


def evaluation(form, *, unit, expert, enterprise_name: str, matter: str, evaluator_name: str, variant: str,
                    day: dt.date, submitted_at: dt.datetime, scores: dict[int, int], notes: dict[int, str],
                    suggestions: str | None = None, assignment=None, enterprise_id=None,
                    paper: bool = False) -> Evaluation:
    """An evaluation with its submission written straight into the tables, as the phone page
    would have saved it, for tests that need evaluations on past days without the scoring
    service's checks of "today"; ``scores`` and ``notes`` by score field id."""
    from app.services.scoring.evaluations import SERVICE_QUALITY_VARIANT
    fields = {f.id: f for f in form.fields}
    by_key = {f.key: f for f in form.fields}
    submission = FormSubmission(
        form_id=form.form_id, version_id=form.id, expert_id=expert.id, unit_id=unit.id,
        assignment_id=assignment.id if assignment else None, enterprise_id=enterprise_id,
        submitted_at=submitted_at, is_paper=paper, total=sum(scores.values()), choices={"考评对象": variant},
    )
    header = {"enterprise_name": enterprise_name, "matter": matter, "evaluator_name": evaluator_name,
              "evaluated_on": day.isoformat(), "suggestions": suggestions}
    for key, text in header.items():
        if text:
            submission.answers.append(FormAnswer(field_id=by_key[key].id, text=text))
    for field_id, value in scores.items():
        submission.answers.append(FormAnswer(field_id=fields[field_id].id, number=value, note=notes.get(field_id)))
    ev = Evaluation(
        submission=submission, version_id=form.id, variant=variant, expert_id=expert.id, enterprise_id=enterprise_id,
        enterprise_name=enterprise_name, assignment_id=assignment.id if assignment else None, matter=matter,
        evaluator_name=evaluator_name, unit_id=unit.id, evaluated_on=day, submitted_at=submitted_at, is_paper=paper,
        is_service_quality=variant == SERVICE_QUALITY_VARIANT, total=sum(scores.values()),
    )
    db.session.add(ev)
    return ev
