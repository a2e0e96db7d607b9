"""Application factory: a list of registrations and nothing else (STYLE.md)."""
import os

from flask import Flask

from app import crypto
from app.config import CONFIGS
from app.flask_app import ExpertPoolFlask


def create_app(config: str | dict | None = None) -> Flask:
    """Build the app. ``config`` is a config name, a dict of overrides (its ``ENV_NAME``
    picks the base config), or None (``APP_ENV`` from the environment).

    In production the app refuses to start without ``SECRET_KEY`` and ``DATA_ENCRYPTION_KEY``;
    elsewhere a missing key is generated once for this installation and kept in ``instance/``
    (file mode 0600), so no key published with the code ever signs a session (SPEC §6).
    """
    app = ExpertPoolFlask(__name__, instance_relative_config=True)
    if isinstance(config, str):
        name = config
    elif isinstance(config, dict) and "ENV_NAME" in config:
        name = config["ENV_NAME"]
    else:
        name = os.environ.get("APP_ENV", "production")
    app.config.from_object(CONFIGS[name])
    if isinstance(config, dict):
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError("SECRET_KEY 未设置：生产环境必须通过环境变量提供 SECRET_KEY。")
        app.config["SECRET_KEY"] = crypto.key_file(app.config["SECRET_KEY_FILE"], 32)
    crypto.init_app(app)

    register_extensions(app)
    register_blueprints(app)
    from admin_views import init_admin

    init_admin(app)
    from app import static_files

    static_files.init_app(app)
    register_template_filters(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of ``app.extensions``."""
    from app import database
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from app.open_views import spared_on_open_views

    database.prepare_engine_options(app)
    db.init_app(app)
    database.configure_engine(app)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"),
        render_as_batch=True, compare_type=True,
    )
    # CSRF is checked by app.security.protect_writes for writing requests only.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "zh_Hans_CN", timezone_selector=lambda: app.config["BUREAU_TIMEZONE"])
    # Open views (public pages, static files) count their own rate limit and have no login:
    # the per-request hooks of these two extensions do nothing there (app/open_views.py).
    with spared_on_open_views(app):
        limiter.init_app(app)
    with spared_on_open_views(app):
        login_manager.init_app(app, add_context_processor=False)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from app.auth.session import forget_request_caches, load_user, user_in_templates

    login_manager.user_loader(load_user)
    app.context_processor(user_in_templates)
    app.before_request(forget_request_caches)
    from app import security

    security.init_app(app)
    from app.services import audit, limits
    from app.services.fees import guards

    audit.init_app(app)
    guards.init_app(app)
    limits.init_app(app)
    from app import compression

    compression.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Login, public pages (no login), phone pages under ``/m/``, and ``/favicon.ico``."""
    from app import favicon
    from app.auth import bp as auth_bp
    from app.mobile import bp as mobile_bp
    from app.public import bp as public_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(mobile_bp, url_prefix="/m")
    app.add_url_rule("/favicon.ico", "favicon", favicon.serve)


def register_template_filters(app: Flask) -> None:
    """Filters every template may use: stored times in the bureau's time zone (SPEC §3.17);
    and the rights table's named predicates, so a template asks who may see a link instead of
    comparing roles (``app.auth.rights``)."""
    from app import clock
    from app.auth import rights

    app.add_template_filter(clock.format_time, "local_time")
    app.add_template_filter(clock.local_date, "local_date")
    for name, predicate in rights.TEMPLATE_PREDICATES.items():
        app.add_template_global(predicate, name)


def register_errorhandlers(app: Flask) -> None:
    """Chinese error pages."""
    from app.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    """``flask`` CLI commands: seed-demo, create-user, backup, restore..."""
    from app.cli import register

    register(app)
