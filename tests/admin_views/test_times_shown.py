"""Every time the admin shows is Beijing time, to the minute or the second (SPEC §3.17).

Every stored instant of the demo data (columns hold UTC) is set to one moment with
microseconds, 2026-12-03 01:41:07.123456 UTC = 09:41:07 in Beijing; then every list and
details page of every admin view is opened by the system administrator and the office.
None may show the UTC wall time, the microseconds or an offset; the named screens of the
issue (audit log, 最近登录, 最近批准, review trail, permits, evaluations) show 09:41.
"""
import datetime as dt

import pytest
from sqlalchemy import DateTime, select, update

from app import clock
from app.auth.rights import allowed
from app.extensions import db
from app.services import audit

STORED = dt.datetime(2026, 12, 3, 1, 41, 7, 123456, tzinfo=dt.UTC)
BEIJING = "2026-12-03 09:41"
WRONG = ("2026-12-03 01:41", "01:41:07", ".123456", "+00:00", "2026-12-03T01")
#: Instants that decide something now (a lock), not shown as history.
SKIP = {("user", "locked_until")}


@pytest.fixture
def one_moment(demo):
    """Every aware DateTime column of every table set to ``STORED``."""
    for table in db.metadata.sorted_tables:
        if table.name in ("audit_log", "audit_chain_head"):
            continue  # only appended to: an entry is appended at that moment below
        columns = {c.name: STORED for c in table.columns
                   if isinstance(c.type, DateTime) and c.type.timezone and (table.name, c.name) not in SKIP}
        if columns:
            db.session.execute(update(table).values(**columns))
    db.session.commit()
    with clock.frozen(STORED):  # the entry is appended, with its time, when committed
        audit.record_event("backup", "备份完成：测试")
        db.session.commit()
    return demo


def _pages(app):
    admin = app.extensions["admin"][0]
    for view in admin._views:
        if getattr(view, "model", None) is None:
            continue
        pk = view.model.__mapper__.primary_key[0]
        first = db.session.scalar(select(pk).order_by(pk).limit(1))
        yield view, f"/admin/{view.endpoint}/", "list"
        if first is not None:
            yield view, f"/admin/{view.endpoint}/details/?id={first}", "details"


@pytest.mark.parametrize("role", ["sysadmin", "office", "auditor"])
def test_no_admin_page_shows_utc_or_microseconds(one_moment, client, login_as, role):
    login_as(role)
    seen_local = []
    for view, url, action in _pages(one_moment):
        if not allowed(role, view.endpoint, action):
            continue
        response = client.get(url)
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        wrong = [w for w in WRONG if w in html]
        assert not wrong, (url, wrong)
        if BEIJING in html:
            seen_local.append(url)
    assert len(seen_local) > (0 if role == "auditor" else 10), seen_local  # the auditor reads the log only


@pytest.mark.parametrize("url, role", [
    ("/admin/audit_log/", "auditor"),  # 时间
    ("/admin/user/", "sysadmin"),  # 最近登录
    ("/admin/fee_approval/", "leader"),  # 最近批准
    ("/admin/application/details/?id=1", "office"),  # the review trail
    ("/admin/permit/", "office"),  # 发证时间
    ("/admin/evaluation/details/?id=1", "office"),  # 提交时间
    ("/admin/payout_batch/", "office"),  # 审核时间
])
def test_the_screens_named_in_the_issue_show_beijing_time(one_moment, client, login_as, url, role):
    from models import ServiceRecord, User

    db.session.execute(update(User).values(last_login_at=STORED))
    leader = db.session.scalar(select(User.id).where(User.role == "leader"))
    db.session.execute(update(ServiceRecord).values(approved_at=STORED, approved_by_id=leader))
    db.session.commit()
    login_as(role)
    html = client.get(url).get_data(as_text=True)
    assert BEIJING in html, url
    assert not [w for w in WRONG if w in html], url
