"""All models, one module per entity family, re-exported here."""
from models.audit import AuditChainHead, AuditLog, Setting
from models.backup import BackupRun
from models.discipline import AnnualAssessment, Interview, Violation
from models.dispatch import Assignment, Draw, Notice, UsageRequest, request_enterprise_link, request_group_link
from models.enterprise import ConflictOfInterest, Enterprise
from models.evaluation import EnforcementPlan, Evaluation, FollowUp
from models.expert import Expert, ExpertDocument, ExpertGroup, WorkHistory, expert_group_link
from models.feedback import Complaint, Opinion
from models.fees import CalendarYear, FeeStandard, Holiday, PayoutBatch, PayoutLine, ServiceRecord
from models.forms import FormAnswer, FormDefinition, FormField, FormSection, FormSubmission, FormVersion
from models.lifecycle import (
    Announcement,
    AnnouncementEntry,
    Application,
    CommitmentLetter,
    Dismissal,
    Permit,
    ReviewStep,
    StatusEvent,
    Term,
    VerifyScan,
)
from models.org import LoginThrottle, OrgUnit, User

__all__ = [
    "AnnualAssessment", "Announcement", "AnnouncementEntry", "Application", "Assignment", "AuditChainHead",
    "AuditLog", "BackupRun", "CalendarYear", "CommitmentLetter", "Complaint", "ConflictOfInterest", "Dismissal", "Draw",
    "EnforcementPlan", "Enterprise", "Evaluation", "Expert",
    "ExpertDocument", "ExpertGroup", "FeeStandard", "FollowUp", "FormAnswer", "FormDefinition", "FormField",
    "FormSection", "FormSubmission", "FormVersion", "Holiday", "Interview", "LoginThrottle", "Notice",
    "Opinion", "OrgUnit", "PayoutBatch", "PayoutLine", "Permit", "ReviewStep", "ServiceRecord",
    "Setting", "StatusEvent", "Term", "UsageRequest", "User", "VerifyScan", "Violation", "WorkHistory",
    "expert_group_link", "request_enterprise_link", "request_group_link",
]
