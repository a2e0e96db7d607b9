"""Every free-text field has a length limit that fits what it holds, checked by the form and by
the service, with a Chinese message that says the limit (105,000 characters were once saved into
主要工作业绩)."""
import pytest
from sqlalchemy import String, Text, select

from app import clock
from app.extensions import db
from app.services.errors import DomainError
from app.services.limits import limit_of
from models import Expert
from tests import factories
from tests.conftest import csrf_from


def test_every_text_column_says_what_it_is_and_how_much_it_takes():
    missing = [f"{t.name}.{c.name}" for t in db.metadata.sorted_tables for c in t.columns
               if isinstance(c.type, Text) and not all(limit_of(c))]
    assert missing == []
    unlimited = [f"{t.name}.{c.name}" for t in db.metadata.sorted_tables for c in t.columns
                 if isinstance(c.type, String) and limit_of(c)[1] is None]
    assert unlimited == []


def test_the_admin_form_refuses_105000_characters_and_keeps_the_record(app, client, login_as):
    login_as("office")
    expert = factories.appointed_expert(name="王建国", achievements="主持危化品企业安全评价")
    db.session.commit()
    page = client.get(f"/admin/expert/edit/?id={expert.id}").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "name": "王建国", "gender": expert.gender,
            "birth_date": expert.birth_date.isoformat(), "employer": expert.employer,
            "id_number": expert.id_number, "mobile": expert.mobile, "groups": [str(g.id) for g in expert.groups],
            "achievements": "业" * 105_000, "version": str(expert.version), "stage": expert.stage,
            "source": expert.source, "education": expert.education or "", "title_level": expert.title_level or ""}
    html = client.post(f"/admin/expert/edit/?id={expert.id}", data=data).get_data(as_text=True)
    assert "主要工作业绩不能超过4000个字（现为105000个字）" in html
    db.session.expire_all()
    assert db.session.get(Expert, expert.id).achievements == "主持危化品企业安全评价"


def test_the_service_refuses_too_long_text_whatever_the_form(app):
    expert = factories.appointed_expert(name="王建国")
    db.session.commit()
    expert.achievements = "业" * 4001
    with pytest.raises(DomainError, match=r"主要工作业绩不能超过4000个字（现为4001个字）"):
        db.session.flush()
    db.session.rollback()
    expert = db.session.scalar(select(Expert))
    expert.employer = "厂" * 201  # a String(200) column
    with pytest.raises(DomainError, match="不能超过200个字"):
        db.session.flush()
    db.session.rollback()
    expert = db.session.scalar(select(Expert))
    expert.achievements = "业" * 4000  # the limit itself is fine
    db.session.flush()


def test_the_experts_phone_refuses_a_too_long_decline_reason(app, client, auth):
    import datetime as dt

    from models import Assignment, UsageRequest

    expert = factories.appointed_expert(name="王建国", start=dt.date(2026, 1, 1))
    user = factories.user(role="expert", username="wjg", expert_=expert)
    unit = factories.org_unit(name="湖塘镇", kind="town")
    day = clock.today() + dt.timedelta(days=3)
    req = UsageRequest(request_no="LIM-1", unit=unit, activity_type="inspection", subject="执法检查",
                       start_date=day, end_date=day, headcount=1, state="dispatched")
    db.session.add(req)
    a = Assignment(request=req, expert=expert, response="pending")
    db.session.add(a)
    db.session.commit()
    auth.login(user.username)
    page = client.get(f"/m/tasks/{a.id}").get_data(as_text=True)
    html = client.post(f"/m/tasks/{a.id}/decline", data={"csrf_token": csrf_from(page), "justified": "1",
                                                         "reason": "因" * 1001}, follow_redirects=True)
    assert "答复理由不能超过1000个字" in html.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assignment, a.id).response == "pending"
