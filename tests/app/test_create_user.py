"""``flask create-user``: the password comes from a file, standard input or the terminal —
never needs to be on the command line (shell history, ``ps``) — and deploy scripts can
re-run it (``--if-absent``)."""
from sqlalchemy import select

from app.auth.passwords import verify_password
from models import User

GOOD = "Xitong#2026guanli"


def _user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


def test_password_from_a_file(runner, db, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(GOOD + "\n", encoding="utf-8")
    result = runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert verify_password(_user(db, "admin").password_hash, GOOD)  # without the newline
    assert GOOD not in result.output


def test_password_from_standard_input(runner, db):
    result = runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--password-file", "-"],
                           input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert verify_password(_user(db, "admin").password_hash, GOOD)


def test_password_typed_twice_on_the_terminal(runner, db):
    result = runner.invoke(args=["create-user", "admin", "--role", "sysadmin"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "再次输入密码" in result.output and GOOD not in result.output  # not echoed
    assert verify_password(_user(db, "admin").password_hash, GOOD)


def test_two_different_passwords_create_nobody(runner, db):
    result = runner.invoke(args=["create-user", "admin", "--role", "sysadmin"], input=f"{GOOD}\n{GOOD}x\n")
    assert result.exit_code == 1 and "两次输入的密码不一致" in result.output
    assert _user(db, "admin") is None


def test_empty_or_missing_file_is_refused_in_chinese(runner, db, tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--password-file", str(empty)])
    assert result.exit_code == 1 and "密码文件为空" in result.output
    result = runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--password-file", str(tmp_path / "no")])
    assert result.exit_code == 1 and "无法读取密码文件" in result.output
    assert _user(db, "admin") is None


def test_a_weak_password_from_a_file_is_refused(runner, db, tmp_path):
    weak = tmp_path / "pw"
    weak.write_text("12345\n", encoding="utf-8")
    result = runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--password-file", str(weak)])
    assert result.exit_code == 1 and "密码长度" in result.output
    assert _user(db, "admin") is None


def test_if_absent_leaves_an_existing_account_alone_and_asks_nothing(runner, db):
    assert runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--password-file", "-"],
                         input=GOOD + "\n").exit_code == 0
    before = _user(db, "admin").password_hash
    again = runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--if-absent"], input="")
    assert again.exit_code == 0 and "已存在，未做改动" in again.output
    assert "密码" not in again.output.replace("未做改动", "")  # no prompt
    assert _user(db, "admin").password_hash == before
    plain = runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--password-file", "-"], input=GOOD)
    assert plain.exit_code == 1 and "已存在" in plain.output


def test_password_and_password_file_together_are_refused(runner, db, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["create-user", "admin", "--role", "sysadmin", "--password", GOOD,
                                 "--password-file", str(secret)])
    assert result.exit_code == 1 and "只能给出一个" in result.output
