"""Flask-Admin: ``init_admin(app)`` builds a new ``Admin`` for each app (STYLE.md)."""
import os

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin_views.dashboard import DashboardView
from admin_views.registry import (
    ConflictView,
    EnterpriseView,
    ExpertDocumentView,
    ExpertView,
    OrgUnitView,
    UserView,
)
from admin_views.system import AuditLogView, SettingView
from app.discovery import submodules
from app.security import csp_nonce
from app.extensions import db
from models import (
    AuditLog,
    ConflictOfInterest,
    Enterprise,
    Expert,
    ExpertDocument,
    OrgUnit,
    Setting,
    User,
)

REGISTRY = "专家库"
SYSTEM = "系统管理"


def init_admin(app: Flask) -> Admin:
    """Create the admin with every view; menu entries a role may not use are hidden."""
    admin = Admin(
        app,
        name="武进区安全生产专家库",
        theme=Bootstrap4Theme(base_template="admin/expertpool_base.html", fluid=True),
        index_view=DashboardView(name="首页", url="/admin"),
        csp_nonce_generator=csp_nonce,
        # Chinese for the messages Flask-Admin's compiled catalog lacks ("Failed to save record.").
        translations_path=os.path.join(os.path.dirname(__file__), "translations"),
    )
    admin.add_view(ExpertView(Expert, db, name="专家", category=REGISTRY, endpoint="expert"))
    admin.add_view(ExpertDocumentView(ExpertDocument, db, name="证明材料", category=REGISTRY, endpoint="expert_document"))
    admin.add_view(EnterpriseView(Enterprise, db, name="服务单位", category=REGISTRY, endpoint="enterprise"))
    admin.add_view(ConflictView(ConflictOfInterest, db, name="回避关系", category=REGISTRY, endpoint="conflict"))
    admin.add_view(OrgUnitView(OrgUnit, db, name="单位", category=SYSTEM, endpoint="org_unit"))
    admin.add_view(UserView(User, db, name="用户账号", category=SYSTEM, endpoint="user"))
    admin.add_view(AuditLogView(AuditLog, db, name="操作日志", category=SYSTEM, endpoint="audit_log"))
    admin.add_view(SettingView(Setting, db, name="参数设置", category=SYSTEM, endpoint="setting"))
    # Later areas register their own views: a module with ``register(admin)``.
    for module in submodules("admin_views"):
        if hasattr(module, "register"):
            module.register(admin)
    return admin
