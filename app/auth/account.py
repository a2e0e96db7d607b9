"""Account pages of every logged-in user: ``/account/password`` and ``/account/2fa``.

Changing the password or the two-factor setting ends every other session of the user
(``end_all_sessions``) and logs this browser in again, so the person at the keyboard
stays in and a stolen session elsewhere does not.
"""
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from app.auth.blueprint import bp
from app.auth.forms import PasswordChangeForm, TotpDisableForm, TotpEnrolForm
from app.auth.login import end_all_sessions, end_read_transaction, home_for
from app.auth.passwords import check_password_policy, hash_password, verify_password
from app.auth.totp import (
    check_code,
    disable,
    enrol,
    grouped,
    must_enrol,
    needs_totp,
    new_secret,
    provisioning_uri,
    qr_data_uri,
)
from app.extensions import db, limiter
from app.services.errors import DomainError

ENROL_KEY = "_totp_enrol_secret"


def _restart_sessions(user) -> None:
    """End every session of ``user``, then keep this one (new epoch in this cookie)."""
    end_all_sessions(user)
    db.session.commit()
    login_user(user)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def account_password():
    """Change one's own password: the current one, the new one twice, the password policy."""
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        stored_hash, username = user.password_hash, user.username
        end_read_transaction()  # no database lock while argon2 works (SQLite)
        try:
            if not verify_password(stored_hash, form.old_password.data):
                raise DomainError("当前密码不正确。")
            if form.new_password.data == form.old_password.data:
                raise DomainError("新密码不能与当前密码相同。")
            check_password_policy(form.new_password.data, username)
            new_hash = hash_password(form.new_password.data)
        except DomainError as err:
            flash(str(err), "error")
        else:
            user.password_hash = new_hash
            _restart_sessions(user)
            flash("密码已修改。您在其他设备上的登录已全部退出。", "success")
            return redirect(home_for(user))
    return render_template("auth/password.html", form=form, home=home_for(user))


@bp.route("/account/2fa", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per minute", methods=["POST"])
def account_2fa():
    """Two-factor login: enrol with a QR code and a first code, or see that it is on."""
    user = current_user._get_current_object()
    if user.totp_secret:
        session.pop(ENROL_KEY, None)
        return render_template(
            "auth/totp_enabled.html", form=TotpDisableForm(), required=needs_totp(user), home=home_for(user)
        )
    secret = session.get(ENROL_KEY)
    if not secret:
        secret = session[ENROL_KEY] = new_secret()
    form = TotpEnrolForm()
    if form.validate_on_submit():
        try:
            enrol(user, secret, form.code.data)
        except DomainError as err:
            flash(str(err), "error")
        else:
            session.pop(ENROL_KEY, None)
            _restart_sessions(user)
            flash("两步验证已启用。今后登录时，输入密码后还需输入手机验证器上的6位动态验证码。", "success")
            return redirect(home_for(user))
    uri = provisioning_uri(secret, user)
    return render_template(
        "auth/totp_enrol.html", form=form, qr=qr_data_uri(uri), secret=grouped(secret),
        required=must_enrol(user), home=home_for(user),
    )


@bp.route("/account/2fa/disable", methods=["POST"])
@login_required
@limiter.limit("10 per minute")
def account_2fa_disable():
    """Turn two-factor login off — or, where it is required, unbind the old phone to enrol a new one."""
    user = current_user._get_current_object()
    if not user.totp_secret:
        return redirect(url_for("auth.account_2fa"))
    form = TotpDisableForm()
    if form.validate_on_submit():
        stored_hash = user.password_hash
        end_read_transaction()
        try:
            if not verify_password(stored_hash, form.password.data):
                raise DomainError("当前密码不正确。")
            check_code(user, form.code.data, request.remote_addr)
        except DomainError as err:
            db.session.commit()  # a wrong code counts towards the lock
            flash(str(err), "error")
            return redirect(url_for("auth.account_2fa"))
        disable(user)
        _restart_sessions(user)
        if needs_totp(user):
            flash("已解除原手机验证器的绑定。请用新手机扫描下方二维码重新绑定。", "info")
        else:
            flash("两步验证已停用。您在其他设备上的登录已全部退出。", "success")
        return redirect(url_for("auth.account_2fa"))
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")
    return redirect(url_for("auth.account_2fa"))
