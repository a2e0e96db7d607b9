"""One status everywhere (issue 19 §2): the expert list, its filter, the details page, the
dashboard counts and the export all say what app.services.status decides, for experts in
every state; and the SQL form of the rule agrees with the Python function."""
import csv
import datetime as dt
import io
import re

import pytest

from app import clock
from app.services import status as status_service
from app.services.discipline import ladder
from app.services.lifecycle import dismissal
from app.services.status import STANDINGS, standing_expr, statuses_for
from models import CommitmentLetter, Expert, Term, Violation
from tests import factories

TODAY = clock.today()


def _term(expert, start, end=None, **kw):
    term = Term(expert=expert, cohort=1, doc_no="武应急〔2024〕36号", start_date=start,
                end_date=end or start.replace(year=start.year + 3) - dt.timedelta(days=1), **kw)
    factories.db.session.add(term)
    factories.db.session.flush()
    return term


def _experts_in_every_state(db):
    """One expert per standing, each made the way the system makes it where it can."""
    office = factories.user("office")
    leader = factories.user("leader")
    made = {}
    made["applicant"] = factories.expert(name="申请甲", stage="applicant")
    made["not_appointed"] = factories.expert(name="导入乙", stage="not_appointed")
    made["dispatchable"] = factories.appointed_expert(name="在聘丙")
    no_letter = factories.expert(name="未签丁")
    _term(no_letter, TODAY - dt.timedelta(days=10))
    made["no_letter"] = no_letter
    suspended = factories.appointed_expert(name="暂停戊", start=TODAY - dt.timedelta(days=400))
    first = ladder.record_violation(suspended, TODAY - dt.timedelta(days=60), "迟到", today=TODAY)
    ladder.verify_violation(first, investigation="属实", actor=office, verified_on=TODAY - dt.timedelta(days=55),
                            today=TODAY)
    second = ladder.record_violation(suspended, TODAY - dt.timedelta(days=5), "要求接送", today=TODAY)
    ladder.verify_violation(second, investigation="属实", actor=office, verified_on=TODAY - dt.timedelta(days=2),
                            today=TODAY)
    made["suspended"] = suspended
    blacklisted = factories.appointed_expert(name="黑名己")
    db.session.add(Violation(expert=blacklisted, found_on=TODAY - dt.timedelta(days=3), finding="中介活动",
                             state="verified", sanction="blacklist", verified_on=TODAY - dt.timedelta(days=1),
                             sanction_start=TODAY - dt.timedelta(days=1),
                             sanction_end=TODAY.replace(year=TODAY.year + 3)))
    made["blacklisted"] = blacklisted
    dismissed = factories.appointed_expert(name="解聘庚", start=TODAY - dt.timedelta(days=200))
    proposal = dismissal.propose_by_office(dismissed, "1", "本人申请", office)
    dismissal.approve_dismissal(proposal, leader, effective_on=TODAY, note="同意")
    made["dismissed"] = dismissed
    ended = factories.expert(name="届满辛")
    start = TODAY.replace(year=TODAY.year - 4)
    _term(ended, start, start.replace(year=start.year + 3) - dt.timedelta(days=1))
    db.session.add(CommitmentLetter(expert=ended, signed_on=start))
    made["expired"] = ended
    made["outside"] = factories.expert(name="上级壬", source="upper", upper_pool_level="provincial",
                                       stage="not_appointed")
    db.session.commit()
    return made


def _list_standings(html):
    """{name: standing text} of the rows of an expert list page."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        name = re.search(r'class="col-name"[^>]*>\s*(.*?)\s*</td>', row, re.S)
        standing = re.search(r'class="col-standing"[^>]*>\s*(.*?)\s*</td>', row, re.S)
        if name and standing:
            rows[re.sub(r"<[^>]+>", "", name.group(1)).strip()] = standing.group(1).strip()
    return rows


def test_list_details_dashboard_and_export_say_the_same(app, db, client, login_as):
    made = _experts_in_every_state(db)
    assert set(made) == set(STANDINGS)
    decided = statuses_for([e.id for e in made.values()])
    for code, expert in made.items():
        assert decided[expert.id].standing == code, expert.name
    login_as("office")

    listed = _list_standings(client.get("/admin/expert/?page_size=100").get_data(as_text=True))
    exported = {row["姓名"]: row["状态"] for row in csv.DictReader(io.StringIO(
        client.get("/admin/expert/export/csv/").get_data(as_text=True).lstrip("\ufeff")))}
    dashboard = client.get("/admin/").get_data(as_text=True)
    for code, expert in made.items():
        word = decided[expert.id].standing_display
        assert STANDINGS[code] in word
        assert listed[expert.name] == word, expert.name
        assert exported[expert.name] == word, expert.name
        details = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
        badge = re.search(r'class="badge expert-standing[^"]*"[^>]*>(.*?)</span>', details).group(1)
        assert badge == word, expert.name
        count = re.search(rf'standing-{code}".*?class="bar-num">(\d+)<', dashboard, re.S).group(1)
        assert count == "1", code
    # the in-term figure counts the two 在聘 experts only (both in 化工)
    assert re.search(r'在聘专家（按组别）.*?化工</span><span class="bar"[^>]*></span><span class="bar-num">(\d+)<',
                     dashboard, re.S).group(1) == "2"


def test_the_list_filters_by_standing(app, db, client, login_as):
    made = _experts_in_every_state(db)
    login_as("office")
    dashboard = client.get("/admin/").get_data(as_text=True)
    for code, expert in made.items():
        link = re.search(rf'standing-{code}"><span class="bar-label"[^>]*><a href="([^"]+)"', dashboard).group(1)
        listed = _list_standings(client.get(link.replace("&amp;", "&")).get_data(as_text=True))
        assert list(listed) == [expert.name], code


def test_imported_experts_are_not_appointed_everywhere(app, db, client, login_as):
    from app.services.lifecycle.roster_import import import_roster
    from tests.admin_views.test_roster_import import _row, _xlsx

    result = import_roster(_xlsx([_row()]))
    db.session.commit()
    expert = result.experts[0]
    assert statuses_for([expert.id])[expert.id].standing == "not_appointed"
    login_as("office")
    assert _list_standings(client.get("/admin/expert/").get_data(as_text=True))[expert.name] == "未聘任"
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'standing-not_appointed".*?class="bar-num">(\d+)<', dashboard, re.S).group(1) == "1"
    assert re.search(r'standing-dispatchable".*?class="bar-num">(\d+)<', dashboard, re.S).group(1) == "0"


# --- the SQL form agrees with the Python function, edge by edge ------------------------------

def _case(db, name, *, stage="in_pool", source="district", terms=(), letters=(), sanctions=(), dismissals=()):
    expert = factories.expert(name=name, stage=stage, source=source)
    made_terms = [_term(expert, s, e, ended_on=cut) for s, e, cut in terms]
    for signed, term_index in letters:
        db.session.add(CommitmentLetter(expert=expert, signed_on=signed,
                                        term_id=made_terms[term_index].id if term_index is not None else None))
    for kind, start, end in sanctions:
        db.session.add(Violation(expert=expert, found_on=start, finding="x", state="verified", sanction=kind,
                                 verified_on=start, sanction_start=start, sanction_end=end))
    for state, effective in dismissals:
        from models import Dismissal
        db.session.add(Dismissal(expert=expert, reason="1", state=state, effective_on=effective))
    db.session.flush()
    return expert


D = dt.date(2026, 6, 15)
DAY = dt.timedelta(days=1)
CASES = {
    "term today": dict(terms=[(D, D + 900 * DAY, None)], letters=[(D, 0)]),
    "term ends today": dict(terms=[(D - 900 * DAY, D, None)], letters=[(D - 900 * DAY, 0)]),
    "term ended yesterday": dict(terms=[(D - 900 * DAY, D - DAY, None)], letters=[(D - 900 * DAY, 0)]),
    "cut today": dict(terms=[(D - 90 * DAY, D + 900 * DAY, D)], letters=[(D - 90 * DAY, 0)]),
    "starts tomorrow": dict(terms=[(D + DAY, D + 900 * DAY, None)], letters=[(D, 0)]),
    "letter of another term": dict(terms=[(D - 1200 * DAY, D - 100 * DAY, None), (D - 99 * DAY, D + 900 * DAY, None)],
                                   letters=[(D - 1200 * DAY, 0)]),
    "letter without term 180 days ahead": dict(terms=[(D - 10 * DAY, D + 900 * DAY, None)],
                                               letters=[(D - 190 * DAY, None)]),
    "letter without term 200 days ahead": dict(terms=[(D - 10 * DAY, D + 900 * DAY, None)],
                                               letters=[(D - 210 * DAY, None)]),
    "letter signed tomorrow": dict(terms=[(D - 10 * DAY, D + 900 * DAY, None)], letters=[(D + DAY, 0)]),
    "suspended until today": dict(terms=[(D - 90 * DAY, D + 900 * DAY, None)], letters=[(D - 90 * DAY, 0)],
                                  sanctions=[("suspension", D - 90 * DAY, D)]),
    "suspended until tomorrow": dict(terms=[(D - 90 * DAY, D + 900 * DAY, None)], letters=[(D - 90 * DAY, 0)],
                                     sanctions=[("suspension", D - 90 * DAY, D + DAY)]),
    "blacklisted and suspended": dict(sanctions=[("suspension", D - 9 * DAY, D + DAY), ("blacklist", D, None)]),
    "dismissal tomorrow": dict(terms=[(D - 90 * DAY, D + 900 * DAY, None)], letters=[(D - 90 * DAY, 0)],
                               dismissals=[("approved", D + DAY)]),
    "dismissal without date": dict(dismissals=[("approved", None)]),
    "dismissal proposed only": dict(terms=[(D - 90 * DAY, D + 900 * DAY, None)], dismissals=[("proposed", D)]),
    "stage dismissed, no record": dict(stage="dismissed", terms=[(D - 90 * DAY, D + 900 * DAY, None)]),
    "applicant": dict(stage="applicant"),
    "applicant with an old term": dict(stage="applicant", terms=[(D - 1200 * DAY, D - 100 * DAY, None)]),
    "upper pool": dict(source="upper", stage="not_appointed"),
    "upper pool blacklisted": dict(source="outside", sanctions=[("blacklist", D - DAY, None)]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sql_standing_agrees_with_the_function(app, db, case):
    expert = _case(db, case[:10], **CASES[case])
    python = status_service.status_of(expert, on=D).standing
    sql = db.session.scalar(db.select(standing_expr(D)).where(Expert.id == expert.id))
    assert sql == python


def test_statuses_of_experts_at_hand_agree_with_statuses_by_id(db):
    """The list page decides its rows' standings from the rows it loaded (no second read of
    the experts): the same answer as by id, for every state."""
    made = _experts_in_every_state(db)
    experts = list(made.values())
    by_id = statuses_for([e.id for e in experts])
    at_hand = status_service.statuses_of_loaded(experts)
    assert {eid: s.code for eid, s in at_hand.items()} == {eid: s.code for eid, s in by_id.items()}
    assert {s.code for s in at_hand.values()} >= {"valid", "suspended", "blacklisted", "dismissed", "expired"}
    assert status_service.statuses_of_loaded([]) == {}
