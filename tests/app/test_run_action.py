"""app.database.run_action: the one commit-or-roll-back step of the admin's and the phone's actions."""
from flask import get_flashed_messages
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.database import run_action
from app.services.errors import DomainError
from models import OrgUnit
from tests import factories

STALE = "该记录已被他人修改。"


def _names(db):
    return set(db.session.scalars(select(OrgUnit.name)))


def test_a_done_action_is_committed_with_words_about_its_result(app, db):
    with app.test_request_context("/", method="POST"):
        unit, ok = run_action(lambda: factories.org_unit("湖塘镇", kind="town"), lambda u: f"已添加{u.name}。",
                              stale_message=STALE)
        assert ok and unit.name == "湖塘镇"
        assert get_flashed_messages(with_categories=True) == [("success", "已添加湖塘镇。")]
    db.session.rollback()  # a commit happened: the unit stays
    assert "湖塘镇" in _names(db)


def test_a_refused_action_writes_nothing_and_says_why(app, db):
    def half_then_refuse():
        factories.org_unit("牛塘镇", kind="town")
        raise DomainError("该单位已停用。")

    def changed_meanwhile():
        factories.org_unit("洛阳镇", kind="town")
        raise StaleDataError("version")

    with app.test_request_context("/", method="POST"):
        assert run_action(half_then_refuse, "不应出现", stale_message=STALE) == (None, False)
        assert run_action(changed_meanwhile, "不应出现", stale_message=STALE) == (None, False)
        assert get_flashed_messages(with_categories=True) == [("error", "该单位已停用。"), ("error", STALE)]
    assert not {"牛塘镇", "洛阳镇"} & _names(db)


def test_a_refusal_listing_several_problems_shows_each(app, db):
    """The form builder's refusals list every problem of a field at once."""
    from app.services.forms.definitions import DefinitionError

    def two_problems():
        raise DefinitionError(["请填写字段名称", "最多字数须为正整数"])

    with app.test_request_context("/", method="POST"):
        assert run_action(two_problems, "不应出现", stale_message=STALE) == (None, False)
        assert get_flashed_messages(with_categories=True) == [
            ("error", "请填写字段名称"), ("error", "最多字数须为正整数")]
