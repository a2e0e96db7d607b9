"""Public status lookup /apply/status: receipt number + last 4 of the ID number, the state in
Chinese and step dates, nothing personal, and no oracle for receipt numbers."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.lifecycle import intake
from models import Application, Expert, ReviewStep
from models.base import blind_match
from tests.conftest import csrf_from
from tests.public.conftest import RECEIPT_RE, application_files, application_form


@pytest.fixture
def submitted(app, client, post_application, new_id):
    """A stored self-recommendation: (receipt number, ID number, expert)."""
    id_number = new_id()
    response = post_application(application_form(id_number), application_files())
    assert response.status_code == 303
    receipt = RECEIPT_RE.search(client.get("/apply/submitted").get_data(as_text=True)).group(0)
    expert = db.session.scalar(select(Expert).where(blind_match(Expert.id_number, id_number)))
    return receipt, id_number, expert


def lookup(client, receipt_no, last4):
    token = csrf_from(client.get("/apply/status").get_data(as_text=True))
    response = client.post("/apply/status", data={"receipt_no": receipt_no, "id_last4": last4, "csrf_token": token})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def visible_text(html: str) -> str:
    """The page without its CSRF token (random per session)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_lookup_shows_state_and_dates_but_no_personal_data(client, submitted):
    receipt, id_number, expert = submitted
    html = lookup(client, receipt, id_number[-4:])
    assert "当前状态：" in html and "已提交" in html
    assert clock.today().isoformat() in html  # 北京时间
    for upcoming in ("初审", "综合素质测试", "局长办公会议审定", "待进行"):
        assert upcoming in html
    for secret in (expert.name, expert.employer, expert.mobile, expert.address, id_number, id_number[:6],
                   "南京工业大学", "chenlx@example.com"):
        assert secret not in html


def test_lookup_follows_review_steps_with_their_dates(client, submitted):
    receipt, id_number, expert = submitted
    application = db.session.scalar(select(Application).where(Application.receipt_no == receipt))
    application.steps.append(
        ReviewStep(
            from_state="submitted",
            to_state="prelim_passed",
            opinion="材料齐全，王科长同意",
            at=dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC),
        )
    )
    application.steps.append(ReviewStep(from_state="prelim_passed", to_state="test_passed", opinion="考试82分",
                                        at=dt.datetime(2026, 4, 10, 17, 0, tzinfo=dt.UTC)))
    application.state = "test_passed"
    db.session.commit()
    html = lookup(client, receipt, id_number[-4:])
    assert "测试合格" in html
    assert "初审通过" in html and "2026-03-02" in html
    assert "2026-04-11" in html  # 17:00 UTC is the next morning in 北京时间
    assert "列入拟聘名单" in html and "局长办公会议审定" in html
    assert "王科长" not in html and "82分" not in html  # opinions are not public


def test_finished_application_lists_no_further_steps(client, submitted):
    receipt, id_number, _ = submitted
    application = db.session.scalar(select(Application).where(Application.receipt_no == receipt))
    application.steps.append(ReviewStep(from_state="submitted", to_state="prelim_rejected"))
    application.state = "prelim_rejected"
    db.session.commit()
    html = lookup(client, receipt, id_number[-4:])
    assert "初审未通过" in html and "本次申请已办结" in html and "待进行" not in html


def test_receipt_number_is_forgiving_about_case_spaces_and_dashes(client, submitted):
    receipt, id_number, _ = submitted
    typed = receipt.lower().replace("-", " ")
    assert "当前状态：" in lookup(client, typed, id_number[-4:])


def test_wrong_last4_gets_the_same_answer_as_an_unknown_number(client, submitted):
    receipt, id_number, _ = submitted
    wrong = "0000" if id_number[-4:] != "0000" else "1111"
    wrong_last4 = lookup(client, receipt, wrong)
    unknown = lookup(client, "ZJ2026-2222-3333-4444", id_number[-4:])
    assert "未找到相符的申请" in wrong_last4
    assert "当前状态：" not in wrong_last4
    # Same page apart from the typed receipt number echoed in the form.
    assert visible_text(wrong_last4).replace(receipt, "X").replace(wrong, "Y") == \
        visible_text(unknown).replace("ZJ2026-2222-3333-4444", "X").replace(id_number[-4:], "Y")


def test_get_with_both_values_also_answers_and_a_receipt_link_only_prefills(client, submitted):
    receipt, id_number, _ = submitted
    html = client.get(f"/apply/status?receipt_no={receipt}&id_last4={id_number[-4:]}").get_data(as_text=True)
    assert "当前状态：" in html
    prefilled = client.get(f"/apply/status?receipt_no={receipt}").get_data(as_text=True)
    assert f'value="{receipt}"' in prefilled and "当前状态：" not in prefilled and "未找到" not in prefilled


def test_empty_lookup_asks_for_both_values(client):
    token = csrf_from(client.get("/apply/status").get_data(as_text=True))
    html = client.post("/apply/status", data={"csrf_token": token}).get_data(as_text=True)
    assert "请填写回执编号" in html and "请填写身份证号后4位" in html


def test_receipt_numbers_are_random_and_unambiguous(app):
    numbers = {intake.new_receipt_no("self", dt.date(2026, 5, 1)) for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert RECEIPT_RE.fullmatch(number) and number.startswith("ZJ2026-")
        assert not set(number[7:].replace("-", "")) & set("01OIL")
    assert intake.new_receipt_no("town", dt.date(2026, 5, 1)).startswith("TJ2026-")


@pytest.mark.parametrize("typed, canonical", [
    ("ZJ2026-7KQM-4TWX-9HRB", "ZJ2026-7KQM-4TWX-9HRB"),
    ("zj2026 7kqm 4twx 9hrb", "ZJ2026-7KQM-4TWX-9HRB"),
    ("ＺＪ２０２６７ＫＱＭ４ＴＷＸ９ＨＲＢ", "ZJ2026-7KQM-4TWX-9HRB"),  # full-width input method
    ("ZJ2026-7KQM-4TWX-9HR", None),  # one character short
    ("ZJ2026-7KQM-4TWX-9HR0", None),  # 0 is not in the alphabet
    ("", None),
])
def test_normalize_receipt_no(typed, canonical):
    assert intake.normalize_receipt_no(typed) == canonical
