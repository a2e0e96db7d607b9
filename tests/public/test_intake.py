"""The intake service (第十二条(一)(二)) used by /apply and by staff entering a recommendation:
channels, receipt numbers, and no stored file left behind when a step fails."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.lifecycle import intake
from models import Application, Expert, StatusEvent
from models.base import blind_match
from tests import factories
from tests.public.conftest import BIRTH, PDF_BYTES, count_files, jpeg_bytes, snapshot


def intake_data(id_number, **changes):
    data = {
        "name": "周国强", "gender": "male", "birth_date": BIRTH, "ethnicity": "汉族", "party": "群众",
        "birthplace": "江苏常州", "id_number": id_number, "employer": "常州市武进区建材有限公司",
        "position": "总工程师", "title": "高级工程师", "title_level": "associate_senior",
        "graduated_from": "河海大学", "education": "bachelor", "full_time_education": True,
        "profession": "建材安全", "specialty": "粉尘防爆", "address": "常州市武进区湖塘镇1号",
        "mobile": "13912345670", "achievements": "负责企业安全生产标准化建设。", "groups": ["building_materials"],
        "work_history": [{"period": "1998.7－至今", "employer": "常州市武进区建材有限公司"}],
        "recommender_opinion": "同意推荐。", "recommender_contact": "孙晓燕", "recommender_phone": "0519 8631 0627",
    }
    data.update(changes)
    return data


def uploads():
    return [intake.Upload("photo", jpeg_bytes()), intake.Upload("id_card", jpeg_bytes()),
            intake.Upload("diploma", PDF_BYTES), intake.Upload("title_cert", PDF_BYTES)]


def test_staff_entry_of_a_town_recommendation_without_uploads(app):
    town = factories.org_unit(name="湖塘镇", kind="town")
    clerk = factories.user(role="office")
    id_number = factories.id_number(BIRTH, True)
    application = intake.submit_self_recommendation(
        intake_data(id_number), [], channel="town", recommending_unit_id=town.id, actor_id=clerk.id)
    db.session.commit()
    assert application.receipt_no.startswith("TJ") and application.channel == "town"
    assert application.recommending_unit_id == town.id and application.created_by_id == clerk.id
    expert = db.session.scalar(select(Expert).where(blind_match(Expert.id_number, id_number)))
    assert expert.stage == "applicant" and expert.recommender_phone == "0519-86310627"
    assert expert.photo_path is None and expert.documents == []
    assert [w.period for w in expert.work_history] == ["1998.07-至今"]  # written the 附件2 way
    event = db.session.scalar(select(StatusEvent).where(StatusEvent.expert_id == expert.id))
    assert (event.event, event.actor_id) == ("提交推荐申请", clerk.id)


def test_self_channel_requires_uploads_and_declarations(app):
    with pytest.raises(intake.IntakeRefused) as refused:
        intake.submit_self_recommendation(intake_data(factories.id_number(BIRTH, True)), [])
    assert set(refused.value.problems) >= {"photo", "id_card", "diploma", "title_cert", "declarations"}
    assert str(refused.value)  # a Chinese summary for a flash message


def test_unknown_channel_is_a_programming_error(app):
    with pytest.raises(ValueError):
        intake.submit_self_recommendation(intake_data(factories.id_number(BIRTH, True)), [], channel="mail")


def test_failure_while_storing_files_removes_the_ones_already_written(app, monkeypatch):
    before = snapshot(app)
    written = []
    real_store_document = intake.store_document

    def fail_on_second(data):
        if written:
            raise OSError("disk full")
        written.append(real_store_document(data))
        return written[-1]

    monkeypatch.setattr(intake, "store_document", fail_on_second)
    data = intake_data(factories.id_number(BIRTH, True), health_declared=True, ethics_declared=True)
    with pytest.raises(OSError):
        intake.submit_self_recommendation(data, uploads())
    db.session.rollback()
    assert written and count_files(app.config["UPLOAD_DIR"]) == before["files"]
    assert snapshot(app) == before


def test_race_on_the_same_id_number_is_a_refusal_and_leaves_no_files(app, monkeypatch):
    id_number = factories.id_number(BIRTH, True)
    factories.expert(birth=BIRTH, id_number=id_number)
    db.session.commit()
    before = snapshot(app)
    # The duplicate check passed a moment earlier (another request committed in between).
    monkeypatch.setattr(intake, "id_number_taken", lambda number: False)
    data = intake_data(id_number, health_declared=True, ethics_declared=True)
    with pytest.raises(intake.IntakeRefused) as refused:
        intake.submit_self_recommendation(data, uploads())
    db.session.rollback()
    assert refused.value.problems == {"id_number": intake.DUPLICATE_MESSAGE}
    assert snapshot(app) == before


@pytest.mark.parametrize("rows, expected", [
    ([], {"work_history": "请至少填写一段主要工作经历（起止年月和单位）"}),
    ([{"period": "1990.01-1995.12", "employer": ""}], {"work_history-0": "请填写单位"}),
    ([{"period": "", "employer": "某厂", "slot": 2}], {"work_history-2": "请填写起止年月"}),
    ([{"period": "1990.1-1995.12", "employer": "某厂"}], {}),
    ([{"period": "1990.01-1995.12", "employer": "甲厂", "slot": 0},
      {"period": "1989.01-1991.12", "employer": "乙厂", "slot": 3}],
     {"work_history-3": "应按时间先后顺序填写，本行开始早于第1行"}),
    ([{"period": "1995.01-至今", "employer": "甲厂", "slot": 1},
      {"period": "2000.01-2001.01", "employer": "乙厂", "slot": 4}],
     {"work_history-1": "只有最后一行（当前工作）可以写“至今”"}),
])
def test_history_problems_point_at_the_rows_the_applicant_sees(app, rows, expected):
    assert intake.history_problems(rows, dt.date(2026, 6, 1)) == expected


def test_find_application_needs_the_matching_last4(app):
    id_number = factories.id_number(BIRTH, True)
    data = intake_data(id_number)
    application = intake.submit_self_recommendation(data, [], channel="employer", recommending_unit_name="某公司")
    db.session.commit()
    assert intake.find_application(application.receipt_no, id_number[-4:]) is application
    assert intake.find_application(application.receipt_no.lower(), id_number[-4:].lower()) is application
    assert intake.find_application(application.receipt_no, "12") is None
    assert intake.find_application(application.receipt_no, None) is None
    wrong = "0000" if id_number[-4:] != "0000" else "1111"
    assert intake.find_application(application.receipt_no, wrong) is None
    assert db.session.scalar(select(Application.id)) == application.id
