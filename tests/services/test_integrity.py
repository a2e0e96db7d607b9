"""flask check-integrity (issue 19 §3): each check finds the contradiction it names, says it
in Chinese, exits 1; a clean database and the demo find nothing; the office sees it."""
import datetime as dt
from decimal import Decimal

import pytest

from app import clock
from app.services import audit, integrity
from app.services.dispatch import completion, draws, responses, usage_requests
from models import (
    Assignment,
    Dismissal,
    PayoutBatch,
    PayoutLine,
    Permit,
    ServiceRecord,
)
from tests import factories

TODAY = clock.today()


def _job(db, *, method="draw"):
    """A request with one accepted expert, drawn through the service (as a unit would)."""
    unit = factories.org_unit(kind="brigade")
    user = factories.user("department", org_unit_=unit)
    expert = factories.appointed_expert()
    enterprise = factories.enterprise()
    req = usage_requests.create_request(
        unit=unit, activity_type="inspection", subject="执法检查", start_date=TODAY - dt.timedelta(days=2),
        end_date=TODAY - dt.timedelta(days=2), groups=[expert.groups[0].id], enterprises=[enterprise.id],
        headcount=1, backups=0, created_by=user, today=TODAY - dt.timedelta(days=5))
    draws.draw(req, user, seed="0" * 32)
    assignment = req.assignments[0]
    responses.respond(assignment, "accepted", actor=user)
    return req, assignment, user


def _codes():
    return [f.code for f in integrity.findings()]


def test_a_clean_database_has_no_findings(app, db, runner):
    req, assignment, user = _job(db)
    completion.complete_assignment(assignment, attended=True, units=1, actor=user)
    db.session.commit()
    assert integrity.findings() == []
    result = runner.invoke(args=["check-integrity"])
    assert result.exit_code == 0 and "未发现问题" in result.output


def test_a_completed_job_without_its_service_record(app, db, runner):
    req, assignment, user = _job(db)
    assignment.attended, assignment.completed_at = True, clock.utcnow()  # what the old demo did
    db.session.commit()
    assert _codes() == ["completed_without_record"]
    result = runner.invoke(args=["check-integrity"])
    assert result.exit_code == 1
    assert "已完成的任务没有服务记录" in result.output and req.request_no in result.output


def test_a_drawn_assignment_without_its_draw(app, db):
    req, assignment, user = _job(db)
    completion.complete_assignment(assignment, attended=True, units=1, actor=user)
    assignment.draw_id = None
    db.session.commit()
    found = integrity.findings()
    assert [f.code for f in found] == ["draw_without_draw"] and "尚无抽取记录" in str(found[0])


def test_paid_lines_that_differ_from_their_records(app, db):
    req, assignment, user = _job(db)
    record = completion.complete_assignment(assignment, attended=True, units=1, actor=user)
    record.amount = Decimal("1000.00")
    batch = PayoutBatch(year=TODAY.year, quarter=1, sequence=1, state="draft", pay_date=TODAY)
    db.session.add(batch)
    db.session.flush()
    line = PayoutLine(batch_id=batch.id, expert_id=assignment.expert_id, pay_month="2026-01", service_count=1,
                      gross=Decimal("1500.00"), tax=Decimal("0"), net=Decimal("1500.00"))
    db.session.add(line)
    db.session.flush()
    record.payout_line_id = line.id  # a line whose gross was edited by hand after the fact
    db.session.flush()
    batch.state = "paid"
    db.session.commit()
    found = integrity.findings()
    assert "paid_lines_mismatch" in [f.code for f in found]
    assert "应发1500.00元" in str(next(f for f in found if f.code == "paid_lines_mismatch"))


def test_a_dismissed_experts_live_permit(app, db):
    expert = factories.appointed_expert()
    db.session.add(Permit(expert=expert, permit_no="WJAQZJ-2026-0001", token="t" * 32))
    db.session.add(Dismissal(expert=expert, reason="1", state="approved", effective_on=TODAY))
    db.session.commit()
    assert _codes() == ["live_permits_of_dismissed"]


def test_an_evaluation_without_scores(app, db):
    from app.services.scoring.evaluations import current_form, form_sections

    form = current_form()
    expert = factories.appointed_expert()
    unit = factories.org_unit(kind="town")
    scores = {item.id: item.max_score for key in ("required", "A") for item in form_sections(form)[key]}
    evaluation = factories.evaluation(form, unit=unit, expert=expert, enterprise_name="某企业", matter="执法检查",
                                      evaluator_name="张三", variant="A", day=TODAY,
                                      submitted_at=dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC), scores=scores, notes={})
    db.session.commit()
    assert _codes() == []
    evaluation.total = 90  # 100 scored, 90 recorded
    db.session.commit()
    assert _codes() == ["evaluations_without_scores"]
    for answer in list(evaluation.submission.answers):
        if answer.field.kind == "score":
            db.session.delete(answer)
    db.session.commit()
    assert _codes() == ["evaluations_without_scores"]  # no scores at all


def test_a_record_without_its_audit_entry(app, db):
    factories.expert(name="留痕")
    db.session.commit()
    assert _codes() == []
    # Written past the audit hook (the log itself only takes appended entries).
    with audit.suspended(db.session):
        factories.expert(name="无痕")
        db.session.commit()
    found = integrity.findings()
    assert [f.code for f in found] == ["audit_gaps"] and "专家（expert）1条" in str(found[0])


def test_the_office_sees_the_findings_on_its_dashboard(app, db, client, login_as):
    req, assignment, user = _job(db)
    assignment.attended, assignment.completed_at = True, clock.utcnow()
    db.session.commit()
    login_as("office")
    html = client.get("/admin/").get_data(as_text=True)
    assert "数据一致性检查：发现1类问题" in html and req.request_no in html


@pytest.mark.parametrize("role", ["leader", "department"])
def test_other_roles_do_not_get_the_findings(app, db, client, login_as, role):
    req, assignment, user = _job(db)
    assignment.attended, assignment.completed_at = True, clock.utcnow()
    db.session.commit()
    login_as(role)
    assert "数据一致性检查" not in client.get("/admin/").get_data(as_text=True)


def test_the_demo_holds_only_what_the_system_could_have_made(demo, db, runner):
    result = runner.invoke(args=["check-integrity"])
    assert result.exit_code == 0, result.output
    # every completed job has its record, every drawn one its draw (the old demo wrote completed_at)
    completed = db.session.query(Assignment).filter(Assignment.completed_at.is_not(None)).count()
    recorded = db.session.query(ServiceRecord).filter(ServiceRecord.assignment_id.is_not(None)).count()
    assert completed and recorded >= completed
