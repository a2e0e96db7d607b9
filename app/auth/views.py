"""Login and logout pages."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm
from app.auth.login import authenticate, end_all_sessions, home_for, safe_next
from app.extensions import db, limiter
from app.services.errors import DomainError


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    """The Chinese login page; a successful login goes to ``next`` if it is local."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next"), home_for(current_user)))
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except DomainError as err:
            flash(str(err), "error")
        else:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            return redirect(safe_next(form.next.data, home_for(user)))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End this session and, for safety, every other session of the same user."""
    end_all_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))
