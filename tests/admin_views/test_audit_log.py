"""The audit log reads as a person would write it: Chinese entity and field names, the record's
name, old → new in words, Beijing time, and a login is a login (not 修改 user)."""
import datetime as dt

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.services.audit import chain
from app.services.audit import text as audit_text
from models import AuditLog
from tests import factories


def _entries(table):
    return db.session.scalars(select(AuditLog).where(AuditLog.table_name == table).order_by(AuditLog.id)).all()


def test_every_table_and_column_has_a_chinese_name(app):
    admin = app.extensions["admin"][0]
    view = next(v for v in admin._views if getattr(v, "endpoint", "") == "audit_log")
    for table in db.metadata.sorted_tables:
        assert audit_text.entity_label(table.name) != table.name, table.name
        for column in table.columns:
            if column.name in ("id", "created_at", "updated_at", "version"):
                continue
            label = audit_text.field_label(table.name, column.name, view.labels_of(table.name))
            assert label != column.name and not label.isascii(), (table.name, column.name)


def test_a_login_is_a_login(client, auth, app):
    factories.user(role="office", username="zhouyan", full_name="周焱")
    db.session.commit()
    auth.login("zhouyan", "wrong-password-1")
    auth.login("zhouyan")
    logins = [e for e in _entries("user") if audit_text.is_login(e)]
    assert [audit_text.action_label(e) for e in logins] == ["登录失败", "登录"]
    assert logins[0].summary == "登录失败：密码错误"  # the trail keeps the real reason


def test_a_change_in_words(app, client, login_as):
    login_as("auditor")  # 三员分立: only the security auditor reads the log
    expert = factories.expert(name="王建国", stage="applicant")
    db.session.commit()
    db.session.refresh(expert)  # as a form loads it before changing it
    expert.stage = "in_pool"
    expert.retired = True
    db.session.commit()
    entry = [e for e in _entries("expert") if e.action == "update"][-1]
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "audit_log")
    changes = {c.label: (c.old, c.new) for c in audit_text.field_changes(entry, view.labels_of("expert"))}
    assert ("申请中", "在库") in changes.values() and ("否", "是") in changes.values()
    assert all(not label.isascii() for label in changes)
    assert audit_text.headline(entry).startswith("修改专家“王建国”：")
    page = client.get(f"/admin/audit_log/details/?id={entry.id}").get_data(as_text=True)
    assert "申请中" in page and "在库" in page and "专家" in page and "stage" not in page


def test_python_object_text_and_utc_are_never_shown(app, client, login_as):
    login_as("auditor")
    # An entry as older code wrote it, appended through the chain (the only way in) at 16:30 UTC.
    with clock.frozen(dt.datetime(2026, 12, 3, 16, 30, tzinfo=dt.UTC)):
        chain.append(db.session.connection(), [dict(
            username="系统", action="create", table_name="eval_score", row_id=None,
            summary="<EvalScore (pending 140684376119184)>", changes={"score": [None, 5]}, client_addr="")])
    db.session.commit()
    listing = client.get("/admin/audit_log/").get_data(as_text=True)
    # the table (the filter menu's option codes, in a script, are not shown as text)
    cells = listing[listing.index("model-list"):listing.index("</table>", listing.index("model-list"))]
    assert "EvalScore" not in listing and "eval_score" not in cells and "评价得分" in cells
    assert "2026-12-04 00:30" in listing  # 16:30 UTC is 00:30 the next day in Beijing


def test_references_are_shown_by_name(app):
    expert = factories.expert(name="李海涛")
    db.session.commit()
    assert audit_text.value_text("violation", "expert_id", expert.id) == f"李海涛（编号{expert.id}）"
    assert audit_text.value_text("dismissal", "state", "proposed") == "拟解聘"
    assert audit_text.value_text("user", "last_login_at", "2026-12-03T16:30:00+00:00") == "2026-12-04 00:30:00"
    assert clock.format_time  # the bureau's clock formats every instant
