"""Saving an evaluation (第二十二条): the submitting unit, paper forms, idempotent re-sends, refusals."""
import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.services.scoring import evaluations as scoring
from app.services.scoring.evaluations import ScoringError, save_evaluation
from models import Evaluation, Violation
from tests import factories
from tests.scoring import records
from tests.scoring.records import full_scores, item_at


def _count():
    return db.session.scalar(select(func.count()).select_from(Evaluation))


def test_an_evaluation_belongs_to_the_submitting_unit_and_keeps_its_form_version(app):
    inspector = records.scorer("department")
    expert = factories.appointed_expert()
    ev, created = save_evaluation(records.entry(expert), by=inspector, client_uuid=str(uuid.uuid4()))
    assert created
    assert ev.unit_id == inspector.org_unit_id
    assert ev.version.number == 1
    assert (ev.variant, ev.total, ev.is_paper, ev.is_service_quality) == ("A", 100, False, False)
    assert len(ev.scores) == 15


def test_variant_b_counts_as_a_service_quality_evaluation(app):
    ev = records.evaluation(records.scorer("town"), variant="B")
    assert ev.is_service_quality is True


def test_the_same_client_uuid_twice_saves_one_record(app):
    inspector = records.scorer("town")
    expert = factories.appointed_expert()
    key = str(uuid.uuid4())
    first, created = save_evaluation(records.entry(expert), by=inspector, client_uuid=key)
    db.session.commit()
    again, created_again = save_evaluation(records.entry(expert), by=inspector, client_uuid=key)
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert _count() == 1


def test_a_retry_that_loses_the_race_returns_the_record_of_the_winner(app, monkeypatch):
    """Two requests with one uuid: both look it up before either has inserted; the UNIQUE
    column refuses the second insert and the first record is returned."""
    inspector = records.scorer("department")
    expert = factories.appointed_expert()
    key = str(uuid.uuid4())
    winner, _ = save_evaluation(records.entry(expert), by=inspector, client_uuid=key)
    db.session.commit()
    real_lookup = scoring.find_by_uuid
    calls = []

    def stale_lookup(client_uuid):
        calls.append(client_uuid)
        return None if len(calls) == 1 else real_lookup(client_uuid)  # the first look-up came too early

    monkeypatch.setattr(scoring, "find_by_uuid", stale_lookup)
    loser, created = save_evaluation(records.entry(expert), by=inspector, client_uuid=key)
    db.session.commit()
    assert (created, loser.id) == (False, winner.id)
    assert len(calls) == 2
    assert _count() == 1


def test_concurrent_requests_with_one_uuid_create_one_record(tmp_path):
    """Real threads on a file database, each with its own session (two gunicorn workers)."""
    from app import create_app
    from app.extensions import db as _db
    from app.services.reference import ensure_reference_data

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'race.sqlite3'}",
                      "UPLOAD_DIR": str(tmp_path / "up")})
    with app.app_context():
        _db.create_all()
        ensure_reference_data()
        unit = factories.org_unit(kind="brigade")
        user_id = factories.user(role="department", org_unit_=unit).id
        expert_id = factories.appointed_expert().id
        form = scoring.current_form()
        form_id, scores = form.id, full_scores(form)
        _db.session.commit()
    key = str(uuid.uuid4())
    results, errors = [], []
    start = threading.Barrier(4, timeout=30)

    def send():
        with app.app_context():
            from models import User

            entry = scoring.EvaluationEntry(form_id=form_id, variant="A", expert_id=expert_id,
                                            enterprise_name="常州华润化工有限公司", matter="执法检查",
                                            evaluator_name="钱立军", evaluated_on=clock.today().isoformat(),
                                            scores=dict(scores))
            start.wait()  # all four at once (no transaction open yet: SQLite writers queue on BEGIN)
            try:
                by = _db.session.get(User, user_id)
                ev, created = save_evaluation(entry, by=by, client_uuid=key)
                _db.session.commit()
                results.append((ev.id, created))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({ev_id for ev_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(Evaluation)) == 1


def test_a_uuid_of_another_units_evaluation_is_refused(app):
    key = str(uuid.uuid4())
    expert = factories.appointed_expert()
    save_evaluation(records.entry(expert), by=records.scorer("town"), client_uuid=key)
    with pytest.raises(ScoringError, match="提交编号与其他单位的评价表重复"):
        save_evaluation(records.entry(expert), by=records.scorer("town"), client_uuid=key)


@pytest.mark.parametrize("role", ["expert", "leader", "sysadmin"])
def test_only_scoring_accounts_may_save(app, role):
    user = factories.user(role=role)
    with pytest.raises(ScoringError, match="当前账号不能填写专家评价表"):
        save_evaluation(records.entry(factories.appointed_expert()), by=user)
    assert _count() == 0


def test_every_problem_is_listed_and_nothing_is_saved(app):
    form = scoring.current_form()
    scores = full_scores(form)
    scores[item_at(form, 2).id] = 11
    entry = records.entry(None, scores=scores, enterprise_name=" ", matter="", evaluator_name="",
                        on=clock.today() + dt.timedelta(days=1))
    with pytest.raises(ScoringError) as err:
        save_evaluation(entry, by=records.scorer("department"))
    assert err.value.problems[:5] == [
        "请选择被考评的专家", "请填写企业名称", "请填写考评事项", "请填写考评人员", "考评时间不能晚于今天",
    ]
    assert err.value.problems[5].startswith("第2项“发现及分析问题")
    assert err.value.problems[5].endswith("的评分11分超过该项满分10分")
    assert len(err.value.problems) == 6
    assert _count() == 0


def test_scoring_from_an_assignment_takes_its_expert(app):
    inspector = records.scorer("department")
    job = records.job(inspector.org_unit)
    someone_else = factories.appointed_expert()
    ev, _ = save_evaluation(records.entry(someone_else, assignment_id=str(job.id)), by=inspector)
    assert (ev.expert_id, ev.assignment_id) == (job.expert_id, job.id)


def test_an_assignment_of_another_unit_is_refused(app):
    job = records.job(records.unit("brigade"))
    with pytest.raises(ScoringError, match="所选任务不存在或不属于本单位"):
        save_evaluation(records.entry(job.expert, assignment_id=job.id), by=records.scorer("department"))


@pytest.mark.parametrize("response,attended", [("declined_unjustified", None), ("no_show", False),
                                               ("accepted", False)])
def test_an_expert_who_did_not_take_part_cannot_be_scored_for_the_job(app, response, attended):
    inspector = records.scorer("town")
    job = records.job(inspector.org_unit, response=response, attended=attended)
    with pytest.raises(ScoringError, match="该专家未参加此次任务"):
        save_evaluation(records.entry(job.expert, assignment_id=job.id), by=inspector)


def test_an_assignment_is_scored_once(app):
    inspector = records.scorer("town")
    job = records.job(inspector.org_unit)
    save_evaluation(records.entry(job.expert, assignment_id=job.id), by=inspector, client_uuid=str(uuid.uuid4()))
    with pytest.raises(ScoringError, match="该任务的专家已评价过"):
        save_evaluation(records.entry(job.expert, assignment_id=job.id), by=inspector, client_uuid=str(uuid.uuid4()))


def test_a_twin_send_that_finds_its_job_already_scored_by_itself_gets_that_record(app, monkeypatch):
    """The page and its service worker send one queued form at once: the second looks its uuid
    up before the first commits, then finds the job scored — by its own twin, so it is a re-send
    (200 with the record), not a refusal (this was a 422 on PostgreSQL in the browser test)."""
    inspector = records.scorer("town")
    job = records.job(inspector.org_unit)
    key = str(uuid.uuid4())
    winner, _ = save_evaluation(records.entry(job.expert, assignment_id=job.id), by=inspector, client_uuid=key)
    db.session.commit()
    real_lookup = scoring.find_by_uuid
    calls = []
    monkeypatch.setattr(scoring, "find_by_uuid",
                        lambda u: calls.append(u) or (None if len(calls) == 1 else real_lookup(u)))
    twin, created = save_evaluation(records.entry(job.expert, assignment_id=job.id), by=inspector, client_uuid=key)
    assert (created, twin.id) == (False, winner.id) and _count() == 1
    # Another form for the same job (another uuid) is still refused.
    with pytest.raises(ScoringError, match="该任务的专家已评价过"):
        save_evaluation(records.entry(job.expert, assignment_id=job.id), by=inspector, client_uuid=str(uuid.uuid4()))


def test_scorable_assignments_are_the_units_attended_unscored_jobs(app):
    inspector = records.scorer("department")
    unit = inspector.org_unit
    waiting = records.job(unit)
    scored = records.job(unit)
    save_evaluation(records.entry(scored.expert, assignment_id=scored.id), by=inspector)
    records.job(unit, response="declined_justified", attended=None)
    records.job(unit, on=clock.today() + dt.timedelta(days=3), completed=False, attended=None, state="dispatched")
    records.job(records.unit("brigade"))
    found = db.session.scalars(scoring.scorable_assignments_query(unit.id)).all()
    assert [a.id for a in found] == [waiting.id]


def test_office_enters_a_towns_paper_form_dated_when_the_paper_arrived(app):
    office = records.scorer("office", unit=records.unit("section", "安全生产基础科"))
    town = records.unit("town", "湖塘镇")
    received = clock.today() - dt.timedelta(days=3)
    entry = records.entry(factories.appointed_expert(), on=received - dt.timedelta(days=10), is_paper=True,
                        unit_id=str(town.id), received_on=received.isoformat())
    ev, _ = save_evaluation(entry, by=office)
    assert (ev.unit_id, ev.is_paper, ev.evaluator_id) == (town.id, True, office.id)
    assert clock.local_date(ev.submitted_at) == received


def test_a_unit_entering_its_own_paper_form_cannot_backdate_it(app):
    inspector = records.scorer("town")
    entry = records.entry(factories.appointed_expert(), is_paper=True, unit_id="999",
                        received_on=(clock.today() - dt.timedelta(days=60)).isoformat())
    ev, _ = save_evaluation(entry, by=inspector)
    assert (ev.unit_id, ev.is_paper) == (inspector.org_unit_id, True)
    assert clock.local_date(ev.submitted_at) == clock.today()


@pytest.mark.parametrize(
    "received_delta,message", [(1, "纸质表报送日期不能晚于今天"), (-30, "纸质表报送日期不能早于考评时间")]
)
def test_the_paper_received_date_must_make_sense(app, received_delta, message):
    office = records.scorer("office", unit=records.unit("section"))
    entry = records.entry(factories.appointed_expert(), on=clock.today() - dt.timedelta(days=5), is_paper=True,
                        received_on=(clock.today() + dt.timedelta(days=received_delta)).isoformat())
    with pytest.raises(ScoringError, match=message):
        save_evaluation(entry, by=office)


def test_a_very_low_item_opens_a_draft_violation_for_the_office(app):
    form = scoring.current_form()
    scores = full_scores(form)
    scores[item_at(form, 9).id] = 1  # 佩戴专家工作证: 1 of 5, under 0.4 × 5
    ev = records.evaluation(records.scorer("department"), scores=scores,
                          problems={str(item_at(form, 9).id): "未佩戴专家工作证"})
    violation = db.session.scalar(select(Violation).where(Violation.evaluation_id == ev.id))
    assert violation is not None and violation.state == "draft"
    assert "未佩戴专家工作证" in violation.finding


def test_a_good_score_opens_nothing(app):
    records.evaluation(records.scorer("department"))
    assert db.session.scalar(select(func.count()).select_from(Violation)) == 0


def test_a_note_on_an_item_of_the_other_variant_is_refused(app):
    form = scoring.current_form()
    other = item_at(form, 9, "B")
    with pytest.raises(ScoringError, match="第9项不属于所选考评对象"):
        save_evaluation(records.entry(factories.appointed_expert(), problems={str(other.id): "问题"}),
                        by=records.scorer("town"))


def test_the_inspector_signs_the_evaluation_and_the_signature_is_shown_and_printed(app, tmp_path):
    """附件5's 考评人员（签字）: drawn on the phone, kept as a clean PNG with who and when, shown in the
    admin and printed in the PDF."""
    import subprocess

    from app.demo.signatures import drawn_signature
    from app.services.scoring import evaluations as scoring

    inspector = records.scorer("town", full_name="钱立军")
    ev = records.evaluation(inspector, signature=drawn_signature("钱立军"), signed_at=None)
    signature = next(a for a in ev.submission.answers if a.field.key == "evaluator_signature")
    assert signature.file_path.endswith(".png") and signature.signed_by == "钱立军" and signature.signed_at
    (tmp_path / "e.pdf").write_bytes(scoring.render_evaluation_pdf(ev))
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "e.pdf")], check=True,
                            capture_output=True).stdout.decode().splitlines()[2:]
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "e.pdf"), "-"], check=True,
                          capture_output=True).stdout.decode()
    assert len(images) == 1 and "考评人员（签字）" in text and "钱立军" in text


def test_an_evaluation_without_a_signature_still_saves_as_before(app):
    ev = records.evaluation(records.scorer("town"))
    assert not any(a.field.kind == "signature" for a in ev.submission.answers)


def test_the_audit_log_names_every_score_of_an_evaluation_in_its_submissions_entry(app):
    """The answers are written in one statement, beside the submission; the submission's audit
    entry still shows what was scored — each item, its score and its 发现问题 — and the chain
    stays valid."""
    from app.services.audit.verify import verify_chain
    from models import AuditLog

    form = scoring.current_form()
    scores = full_scores(form)
    item = item_at(form, 9)
    scores[item.id] = 1
    db.session.commit()
    before = db.session.scalar(select(func.max(AuditLog.id))) or 0
    ev, _ = save_evaluation(records.entry(factories.appointed_expert(), scores=scores,
                                          problems={str(item.id): "未佩戴专家工作证"}),
                            by=records.scorer("town"), client_uuid=str(uuid.uuid4()))
    db.session.commit()
    entries = list(db.session.scalars(select(AuditLog).where(AuditLog.id > before)))
    tables = [e.table_name for e in entries]
    assert "form_answer" not in tables and tables.count("form_submission") == 1 and "evaluation" in tables
    logged = next(e for e in entries if e.table_name == "form_submission").changes
    name = f"{item.label[:30]}（{item.key}）"
    assert logged[name] == [None, 1]
    assert logged[f"{name}{item.note_label}"] == [None, "未佩戴专家工作证"]
    for answer in ev.scores:  # every item named with its score
        assert logged[f"{answer.item.label[:30]}（{answer.item.key}）"] == [None, answer.score]
    assert len(ev.scores) == 15 and ev.total == 100 - 4
    assert verify_chain(include_archive_dir=False).ok
