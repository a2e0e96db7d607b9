"""Words of the discipline pages (issue 19 §6): a second violation found on the warning's day
says 同日, and the verify page's preview is recomputed for the date chosen."""
import datetime as dt

from app import clock
from app.services.discipline import ladder
from app.services.discipline.ladder import PastViolation, next_step
from tests import factories
from tests.conftest import csrf_from

D = dt.date
TODAY = clock.today()


def test_a_violation_found_on_the_warnings_day_says_same_day():
    warned = [PastViolation(D(2026, 11, 20), "warning", D(2026, 12, 3), None)]
    same_day = next_step(warned, found_on=D(2026, 12, 3), verified_on=D(2026, 12, 9))
    assert same_day.sanction is None
    assert same_day.note.startswith("与2026年12月3日的警告同日发现（不在警告之后）")
    assert "之前" not in same_day.note
    before = next_step(warned, found_on=D(2026, 12, 1), verified_on=D(2026, 12, 9))
    assert before.note.startswith("发现于2026年12月3日警告之前")


def test_the_preview_follows_the_verification_date(app, db, client, login_as):
    office = login_as("office")
    expert = factories.appointed_expert(TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=600), name="张违规")
    first = ladder.record_violation(expert, TODAY - dt.timedelta(days=30), "迟到", today=TODAY)
    ladder.verify_violation(first, investigation="属实", actor=office, verified_on=TODAY - dt.timedelta(days=25),
                            today=TODAY)
    second = ladder.record_violation(expert, TODAY - dt.timedelta(days=3), "接受宴请", today=TODAY)
    db.session.commit()
    page = client.get(f"/admin/violation/verify/?id={second.id}").get_data(as_text=True)
    assert f"以核实日期{TODAY}计算" in page and "violation-preview.js" in page and 'id="ladder-preview"' in page
    day = TODAY - dt.timedelta(days=1)
    answer = client.get(f"/admin/violation/verify/preview/?id={second.id}&verified_on={day}").get_json()
    assert answer["basis"].startswith(f"以核实日期{day}计算") and answer["sanction"] == "suspension"
    last = ladder.add_months(day, 3) - dt.timedelta(days=1)
    assert f"{day.year}年{day.month}月{day.day}日至{last.year}年{last.month}月{last.day}日" in answer["note"]
    assert client.get(f"/admin/violation/verify/preview/?id={second.id}&verified_on=2999-01-01").status_code == 400
    # the same without script: the page itself computes for the date it is given
    page = client.get(f"/admin/violation/verify/?id={second.id}&verified_on={day}").get_data(as_text=True)
    assert f"以核实日期{day}计算" in page
    assert csrf_from(page)


def test_units_may_not_ask_for_a_preview(app, db, client, login_as):
    expert = factories.appointed_expert(TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=600))
    v = ladder.record_violation(expert, TODAY - dt.timedelta(days=3), "接受宴请", today=TODAY)
    db.session.commit()
    login_as("town")
    assert client.get(f"/admin/violation/verify/preview/?id={v.id}&verified_on={TODAY}").status_code in (403, 404)


def test_a_mistyped_verification_date_is_refused_in_the_shared_words(app, db, client, login_as):
    """The verify page reads its date with the parser the phone uses (app.validators.parse_date)."""
    login_as("office")
    expert = factories.appointed_expert(TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=600), name="李核实")
    draft = ladder.record_violation(expert, TODAY - dt.timedelta(days=3), "迟到", today=TODAY)
    db.session.commit()
    words = "核实日期格式不正确，应为“年-月-日”，例如2026-03-05。"
    answer = client.get(f"/admin/violation/verify/preview/?id={draft.id}&verified_on=2026-13-40")
    assert answer.status_code == 400 and answer.get_json()["error"] == words
    # a mistyped date in the address: the page starts from today instead
    page = client.get(f"/admin/violation/verify/?id={draft.id}&verified_on=2026-13-40").get_data(as_text=True)
    assert f"以核实日期{TODAY}计算" in page
    page = client.post(f"/admin/violation/verify/?id={draft.id}", data={
        "csrf_token": csrf_from(page), "verified_on": "2026-13-40", "investigation": "属实"}, follow_redirects=True)
    assert words in page.get_data(as_text=True)
    db.session.refresh(draft)
    assert draft.state == "draft"
