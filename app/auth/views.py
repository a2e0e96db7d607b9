"""Login (password, then the authenticator code for accounts with two-factor login) and logout."""
import time

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import throttle
from app.auth.blueprint import bp
from app.auth.forms import LoginForm, TotpLoginForm
from app.auth.login import authenticate, end_all_sessions, finish_login, home_for, safe_next
from app.auth.totp import check_code, must_enrol
from app.extensions import db, limiter
from app.open_views import is_open_view
from app.services import audit
from app.services.errors import DomainError
from models import User

# Between the password and the code the session holds who passed the first step, for a while.
PENDING_KEY = "_2fa_pending"
PENDING_SECONDS = 300
# What a user who must still enrol in two-factor login may reach.
ENROL_ENDPOINTS = frozenset({"static", "auth.login", "auth.login_2fa", "auth.logout", "auth.account_2fa"})


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    """The Chinese login page; a successful login goes to ``next`` if it is local."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next"), home_for(current_user)))
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr)
        except DomainError as err:
            db.session.commit()  # the failed login's audit entry
            flash(str(err), "error")
        else:
            target = safe_next(form.next.data, home_for(user))
            if user.totp_secret:
                # Nothing is reset before the second factor: a known password must not clear
                # the failure count that also guards the code.
                db.session.rollback()
                session[PENDING_KEY] = {
                    "uid": user.id, "epoch": user.session_epoch or 0, "remember": bool(form.remember.data),
                    "next": target, "at": time.time(),
                }
                return redirect(url_for("auth.login_2fa"))
            session.pop(PENDING_KEY, None)
            finish_login(user, request.remote_addr)
            login_user(user, remember=form.remember.data)
            audit.login_succeeded(user)
            db.session.commit()
            return redirect(target)
    return render_template("auth/login.html", form=form)


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get(PENDING_KEY) or {}
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None, {}
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.active or not user.totp_secret or (user.session_epoch or 0) != pending.get("epoch"):
        return None, {}
    return user, pending


@bp.route("/login/2fa", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login_2fa():
    """Second login step: the six-digit code of the user's authenticator app."""
    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash("登录已超时，请重新输入用户名和密码。", "info")
        return redirect(url_for("auth.login"))
    form = TotpLoginForm()
    if form.validate_on_submit():
        try:
            check_code(user, form.code.data, request.remote_addr)
        except DomainError as err:
            locked = throttle.is_blocked(user.username, request.remote_addr)
            audit.login_failed(user.username, user, reason="code_locked" if locked else "bad_code")
            db.session.commit()  # the failure counts and perhaps the lock
            flash(str(err), "error")
            if locked:
                session.pop(PENDING_KEY, None)
                return redirect(url_for("auth.login"))
        else:
            session.pop(PENDING_KEY, None)
            finish_login(user, request.remote_addr)
            login_user(user, remember=pending.get("remember", False))
            audit.login_succeeded(user, second_factor=True)
            db.session.commit()
            return redirect(safe_next(pending.get("next"), home_for(user)))
    return render_template("auth/login_2fa.html", form=form, user=user)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session and, for safety, every other session of the same user."""
    end_all_sessions(current_user._get_current_object())
    audit.logged_out(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.pop(PENDING_KEY, None)
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.before_app_request
def require_enrolment():
    """基础科 and sysadmin accounts without two-factor login are sent to enrol first.

    Open views (public pages, static files: app/open_views.py) are for anyone and are not
    held back; they are also the hot ones, so the account is not even loaded for them.
    """
    if is_open_view() or request.endpoint in ENROL_ENDPOINTS or not current_user.is_authenticated:
        return None
    if not must_enrol(current_user):
        return None
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        message = "按规定，基础科和系统管理员账号须先启用两步验证（手机验证器），才能使用本系统。"
        return jsonify({"ok": False, "errors": [message]}), 403
    return redirect(url_for("auth.account_2fa"))  # the page says why
