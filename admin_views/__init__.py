"""Flask-Admin: ``init_admin(app)`` builds a new ``Admin`` for each app (STYLE.md) and lists every
view of the admin, in menu order; ``register_template_globals`` lists what templates may call."""
import os

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin_views.dashboard import DashboardView
from admin_views.discipline import (
    AnnualAssessmentView,
    FollowUpView,
    InterviewView,
    ViolationView,
    discipline_overview,
    span_text,
)
from admin_views.dispatch.assignments import AssignmentView
from admin_views.dispatch.notices import NoticeView
from admin_views.dispatch.opinions import OpinionView
from admin_views.dispatch.reports import FairnessView, PaperworkView
from admin_views.dispatch.requests import UsageRequestView
from admin_views.evaluation import (
    CoverageView,
    EnforcementPlanView,
    EvaluationView,
    SubmissionsView,
)
from admin_views.fees import FeeApprovalView, ServiceRecordView
from admin_views.formatters import fmt_time
from admin_views.forms import FormDefinitionView, FormSubmissionView
from admin_views.helpers import base_url_mismatch, form_error_summary
from admin_views.inbox import ApprovalsView, OfficeQueueView, inbox_menu
from admin_views.lifecycle.announcements import AnnouncementView
from admin_views.lifecycle.applications import ApplicationView
from admin_views.lifecycle.dismissals import DismissalView
from admin_views.lifecycle.expert_panels import expert_extra_rows, expert_followups, followup_sees_whole
from admin_views.lifecycle.extra_fields import ExtraFieldsView
from admin_views.lifecycle.panel import can, lifecycle_panel
from admin_views.lifecycle.terms import CommitmentLetterView, TermView
from admin_views.payouts import PayoutBatchView, TownDuesView
from admin_views.permits import ComplaintView, PermitView
from admin_views.pricing import FeeStandardView, HolidayView
from admin_views.registry import (
    ConflictView,
    EnterpriseView,
    ExpertDocumentView,
    ExpertView,
    OrgUnitView,
    UserView,
)
from admin_views.system import AuditLogView, AuditVerifyView, ExportLogView, SettingView
from app.extensions import db
from app.security import csp_nonce
from app.services.permits.issuing import permit_overview
from app.services.proposals import reason_text
from models import (
    Announcement,
    AnnualAssessment,
    Application,
    Assignment,
    AuditLog,
    CommitmentLetter,
    Complaint,
    ConflictOfInterest,
    Dismissal,
    EnforcementPlan,
    Enterprise,
    Evaluation,
    Expert,
    ExpertDocument,
    FeeStandard,
    FollowUp,
    FormDefinition,
    FormSubmission,
    Holiday,
    Interview,
    Notice,
    Opinion,
    OrgUnit,
    PayoutBatch,
    Permit,
    ServiceRecord,
    Setting,
    Term,
    UsageRequest,
    User,
    Violation,
)

REGISTRY = "专家库"
SYSTEM = "系统管理"
AUDIT = "安全审计"
DISCIPLINE = "违规与考核"
DISPATCH = "专家使用"
EVALUATION = "专家考评"
FEES = "专家费用"
LIFECYCLE = "聘任管理"


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
    # The queues: drawn first in the menu, with their counts, by the base template (inbox_menu).
    admin.add_view(ApprovalsView(name="待我审批", endpoint="approvals"))
    admin.add_view(OfficeQueueView(name="待我处理", endpoint="office_queue"))
    # The menu, in order: a category appears where its first view is added.
    admin.add_view(ExpertView(Expert, db, name="专家", category=REGISTRY, endpoint="expert"))
    admin.add_view(
        ExpertDocumentView(ExpertDocument, db, name="证明材料", category=REGISTRY, endpoint="expert_document")
    )
    admin.add_view(EnterpriseView(Enterprise, db, name="服务单位", category=REGISTRY, endpoint="enterprise"))
    admin.add_view(ExtraFieldsView(name="扩展字段", category=REGISTRY, endpoint="extra_field"))
    admin.add_view(ConflictView(ConflictOfInterest, db, name="回避关系", category=REGISTRY, endpoint="conflict"))
    admin.add_view(OrgUnitView(OrgUnit, db, name="单位", category=SYSTEM, endpoint="org_unit"))
    admin.add_view(UserView(User, db, name="用户账号", category=SYSTEM, endpoint="user"))
    admin.add_view(SettingView(Setting, db, name="参数设置", category=SYSTEM, endpoint="setting"))
    admin.add_view(AuditLogView(AuditLog, db, name="操作日志", category=AUDIT, endpoint="audit_log"))
    admin.add_view(ExportLogView(AuditLog, db, name="导出记录", category=AUDIT, endpoint="export_log"))
    admin.add_view(AuditVerifyView(AuditLog, db, name="日志核验", category=AUDIT, endpoint="audit_verify"))

    admin.add_view(ViolationView(Violation, db, name="违规处理", category=DISCIPLINE, endpoint="violation"))
    admin.add_view(InterviewView(Interview, db, name="约谈记录", category=DISCIPLINE, endpoint="interview"))
    admin.add_view(AnnualAssessmentView(AnnualAssessment, db, name="年度考核", category=DISCIPLINE,
                                        endpoint="annual_assessment"))
    admin.add_view(FollowUpView(FollowUp, db, name="回访测评", category=EVALUATION, endpoint="follow_up"))

    admin.add_view(UsageRequestView(UsageRequest, db, name="使用申请", category=DISPATCH, endpoint="usage_request"))
    admin.add_view(AssignmentView(Assignment, db, name="选派记录", category=DISPATCH, endpoint="assignment"))
    admin.add_view(NoticeView(Notice, db, name="告知书与回执", category=DISPATCH, endpoint="notice"))
    admin.add_view(OpinionView(Opinion, db, name="专家意见建议", category=DISPATCH, endpoint="opinion"))
    admin.add_view(PaperworkView(UsageRequest, db, name="紧急使用补办手续", category=DISPATCH,
                                 endpoint="overdue_paperwork"))
    admin.add_view(FairnessView(Expert, db, name="抽取公平性", category=DISPATCH, endpoint="fairness_report"))

    admin.add_view(EvaluationView(Evaluation, db, name="评价记录", category=EVALUATION, endpoint="evaluation"))
    admin.add_view(FormDefinitionView(FormDefinition, db, name="表单设计", category=EVALUATION,
                                      endpoint="form_definition"))
    admin.add_view(FormSubmissionView(FormSubmission, db, name="表单填报", category=EVALUATION,
                                      endpoint="form_submission"))
    admin.add_view(EnforcementPlanView(EnforcementPlan, db, name="年度执法计划", category=EVALUATION,
                                       endpoint="enforcement_plan"))
    admin.add_view(SubmissionsView(OrgUnit, db, name="报送情况", category=EVALUATION, endpoint="submissions"))
    admin.add_view(CoverageView(OrgUnit, db, name="考评覆盖率", category=EVALUATION, endpoint="coverage"))

    admin.add_view(ServiceRecordView(ServiceRecord, db, name="服务记录", category=FEES, endpoint="service_record"))
    admin.add_view(FeeApprovalView(ServiceRecord, db, name="费用审批", category=FEES, endpoint="fee_approval"))

    admin.add_view(ApplicationView(Application, db, name="申请与评审", category=LIFECYCLE, endpoint="application"))
    admin.add_view(TermView(Term, db, name="聘期", category=LIFECYCLE, endpoint="term"))
    admin.add_view(CommitmentLetterView(CommitmentLetter, db, name="承诺书", category=LIFECYCLE,
                                        endpoint="commitment_letter"))
    admin.add_view(DismissalView(Dismissal, db, name="解聘", category=LIFECYCLE, endpoint="dismissal"))
    admin.add_view(AnnouncementView(Announcement, db, name="公告", category=LIFECYCLE, endpoint="announcement"))

    admin.add_view(PayoutBatchView(PayoutBatch, db, name="季度发放", category=FEES, endpoint="payout_batch"))
    admin.add_view(TownDuesView(ServiceRecord, db, name="各镇应付", category=FEES, endpoint="town_dues"))

    admin.add_view(PermitView(Permit, db, name="专家工作证", category=LIFECYCLE, endpoint="permit"))
    admin.add_view(ComplaintView(Complaint, db, name="投诉举报", category=DISCIPLINE, endpoint="complaint"))

    admin.add_view(FeeStandardView(FeeStandard, db, name="费用标准", category=FEES, endpoint="fee_standard"))
    admin.add_view(HolidayView(Holiday, db, name="节假日", category=FEES, endpoint="holiday"))
    register_template_globals(app)
    return admin


def register_template_globals(app: Flask) -> None:
    """The functions admin templates call (the expert page's panels, the violation list)."""
    app.add_template_global(base_url_mismatch, "base_url_mismatch")
    app.add_template_global(discipline_overview, "discipline_overview")
    app.add_template_global(span_text, "violation_span")
    app.add_template_global(permit_overview, "permit_overview")
    app.add_template_global(reason_text, "dismissal_reason_text")
    app.add_template_global(lifecycle_panel, "lifecycle_panel")
    app.add_template_global(can, "lifecycle_can")
    app.add_template_global(fmt_time, "lifecycle_time")
    app.add_template_global(inbox_menu, "inbox_menu")
    app.add_template_global(form_error_summary, "form_error_summary")
    app.add_template_global(expert_followups, "expert_followups")
    app.add_template_global(followup_sees_whole, "followup_sees_whole")
    app.add_template_global(expert_extra_rows, "expert_extra_rows")
