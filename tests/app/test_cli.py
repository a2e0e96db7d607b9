"""Every CLI command answers bad input with one Chinese line and exit status 1 (SPEC §6):
no click usage text in English, no "Error:", no traceback — and nothing is changed."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from models import User
from tests import factories

CJK = re.compile(r"[\u4e00-\u9fff]")
GOOD_PASSWORD = "Ren#2026strong"


@pytest.fixture
def expert_with_login(app):
    expert = factories.appointed_expert(name="王建国")
    factories.user(role="expert", username="wangjg", expert_=expert)
    factories.org_unit(name="湖塘镇", kind="town")
    db.session.commit()
    return expert


def _refused(runner, args, tmp_path=None):
    result = runner.invoke(args=args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1, (args, result.exit_code, result.output)
    assert len(lines) == 1, (args, result.output)
    line = lines[0]
    assert CJK.search(line), (args, line)
    for english in ("Error", "Usage", "Traceback", "Try '", "Exception"):
        assert english not in line, (args, line)
    return line


def test_create_user_for_an_expert_who_already_has_a_login(runner, expert_with_login):
    before = db.session.scalar(select(func.count()).select_from(User))
    line = _refused(runner, ["create-user", "wang2", "--role", "expert", "--password", GOOD_PASSWORD,
                             "--expert-id", str(expert_with_login.id)])
    assert "已有登录账号“wangjg”" in line
    assert db.session.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize("args, words", [
    (["create-user", "li"], "缺少参数 --role"),
    (["create-user", "li", "--role", "boss", "--password", GOOD_PASSWORD], "可选：sysadmin"),
    (["create-user", "li", "--role", "expert", "--password", GOOD_PASSWORD, "--expert-id", "abc"], "须为整数"),
    (["create-user", "li", "--role", "town", "--password", GOOD_PASSWORD, "--colour", "red"],
     "无法识别的选项 --colour"),
    (["create-user", "li", "--role", "town", "--password", GOOD_PASSWORD, "extra"], "参数有误"),
    (["create-user", "li", "--role", "town", "--password"], "须带一个值"),
    (["create-user", "li", "--role", "office", "--password", "short"], "密码长度不能少于10位"),
    (["create-user", "wangjg", "--role", "office", "--password", GOOD_PASSWORD], "已存在"),
    (["create-user", "li", "--role", "town", "--password", GOOD_PASSWORD, "--unit", "火星镇"], "单位“火星镇”不存在"),
    (["create-user", "li", "--role", "town", "--password", GOOD_PASSWORD], "必须用 --unit"),
    (["create-user", "li", "--role", "expert", "--password", GOOD_PASSWORD], "必须用 --expert-id"),
    (["create-user", "li", "--role", "expert", "--password", GOOD_PASSWORD, "--expert-id", "99999"], "已登记的专家"),
    (["create-user", "li", "--role", "office", "--password", GOOD_PASSWORD, "--expert-id", "1"], "只有专家账号"),
    (["create-user", "x" * 51, "--role", "office", "--password", GOOD_PASSWORD], "不能超过50个字符"),
    (["seed-demo", "--everything"], "无法识别的选项 --everything"),
    (["reset-2fa"], "缺少参数 USERNAME"),
    (["reset-2fa", "nobody"], "用户名“nobody”不存在"),
    (["reset-2fa", "wangjg"], "未启用两步验证"),
    (["backup"], "缺少参数 PATH"),
    (["restore", "/no/such/archive.tar.gz"], "路径不存在"),
    (["verify-backup", "/no/such/archive.tar.gz"], "路径不存在"),
])
def test_bad_input_gets_one_chinese_line(runner, expert_with_login, args, words):
    before = db.session.scalar(select(func.count()).select_from(User))
    assert words in _refused(runner, args)
    assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_a_damaged_archive_is_refused_in_one_line(runner, app, tmp_path):
    damaged = tmp_path / "backup.tar.gz"
    damaged.write_bytes(b"not an archive at all")
    for command in ("verify-backup", "restore"):
        _refused(runner, [command, str(damaged), *(["--yes"] if command == "restore" else [])])


def test_a_backup_into_a_missing_folder_is_refused_in_one_line(runner, app, tmp_path):
    _refused(runner, ["backup", str(tmp_path / "no" / "such" / "folder" / "x.tar.gz")])


def test_restore_cancelled_at_the_question(runner, app, tmp_path):
    from app.services import backups

    archive = backups.create_backup(str(tmp_path)).path
    result = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "已取消，未做任何改动。"


def test_every_command_of_the_system_is_covered(app):
    """A command added later answers the same way without knowing of it (app/cli.py register)."""
    from app.cli import ChineseCommand

    ours = {"create-user", "seed-demo", "backup", "restore", "verify-backup", "reset-2fa"}
    commands = app.cli.commands
    assert ours <= set(commands)
    assert all(isinstance(commands[name], ChineseCommand) for name in ours)


def test_reference_data_fills_a_fresh_schema_and_keeps_the_office_changes(runner, app):
    """A deployment runs ``db upgrade`` then ``reference-data``: without it a production database
    had no 附件5 form, no fee standard, no holidays and no settings."""
    from models import CalendarYear, FeeStandard, FormDefinition, Holiday, Setting

    db.session.get(Setting, "grade_excellent_min").value = "88"  # the office's change
    db.session.delete(db.session.get(Setting, "term_years"))
    for model in (FeeStandard, Holiday, CalendarYear):
        db.session.execute(model.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["reference-data"])
    assert result.exit_code == 0, result.output
    assert "基础数据已补齐" in result.output
    db.session.expire_all()
    assert db.session.get(Setting, "term_years").value == "3"
    assert db.session.get(Setting, "grade_excellent_min").value == "88"
    assert db.session.scalar(select(func.count()).select_from(FeeStandard)) == 3
    assert db.session.scalar(select(func.count()).select_from(Holiday)) > 0
    assert db.session.scalar(select(FormDefinition.id).where(FormDefinition.code == "annex5")) is not None
    assert runner.invoke(args=["reference-data"]).exit_code == 0  # again: nothing doubles
    assert db.session.scalar(select(func.count()).select_from(FeeStandard)) == 3
