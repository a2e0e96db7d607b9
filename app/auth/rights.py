"""Who may do what: the rights of the eight roles (SPEC §1, §7), declared in one place.

Every admin view looks itself up here by its endpoint name; the access tests walk
this table. Row-level limits (an expert sees only his own records, a unit only its
own requests) live in the views' ``scope_query`` hooks.

三员分立 (等保 2.0, SPEC §3.20) is part of this table: the 系统管理员 (sysadmin) keeps
accounts, units and settings but never reads the audit log; the 安全管理员 (secadmin)
decides what an account may do — its role, unit, linked expert, whether it is enabled —
and lifts locks and resets two-factor login, but creates no account and sets no password;
the 安全审计员 (auditor) reads the audit log, its verification and the export records and
changes nothing. Which fields of an account each of the first two sets is
:data:`ACCOUNT_FIELDS`; the rule that applies it is ``app.services.duties``.
"""
ACTIONS = ("list", "details", "create", "edit", "delete", "export")

ALL = frozenset(ACTIONS)
READ = frozenset({"list", "details"})
READ_EXPORT = frozenset({"list", "details", "export"})
WRITE = frozenset({"list", "details", "create", "edit"})
WRITE_EXPORT = WRITE | {"export"}
NONE: frozenset = frozenset()

# endpoint -> role -> actions. A role missing from a row has no access to that view.
RIGHTS: dict[str, dict[str, frozenset]] = {
    # accounts and structure
    "org_unit": {"sysadmin": ALL, "office": READ_EXPORT, "leader": READ, "secadmin": READ, "auditor": READ},
    # Accounts are disabled, never deleted (the audit trail names them). A new account starts
    # disabled until the security administrator enables it (app.services.duties).
    "user": {"sysadmin": WRITE_EXPORT, "secadmin": READ | {"edit", "unlock", "reset_2fa"}, "auditor": READ},
    "setting": {"sysadmin": WRITE},
    # The audit trail: read by the auditor (and by 基础科, who answer for the registry's records);
    # nobody edits or deletes an entry, and the sysadmin and secadmin do not read it.
    "audit_log": {"office": READ_EXPORT, "auditor": READ_EXPORT},
    "export_log": {"office": READ_EXPORT, "auditor": READ_EXPORT},
    "audit_verify": {"office": frozenset({"list"}), "auditor": frozenset({"list"})},
    # the registry
    "expert": {
        "sysadmin": ALL,
        "office": ALL,
        "leader": READ_EXPORT,
        "department": READ_EXPORT,
        "town": READ_EXPORT,
        "expert": READ,
    },
    # Registry fields the office adds (issue 17): a form-engine section attached to the expert.
    "extra_field": {"sysadmin": ALL, "office": ALL, "leader": READ},
    "expert_document": {"sysadmin": ALL, "office": ALL, "leader": READ, "expert": READ},
    "enterprise": {
        "sysadmin": ALL,
        "office": ALL,
        "department": WRITE_EXPORT,
        "town": WRITE_EXPORT,
        "leader": READ,
    },
    "conflict": {"sysadmin": ALL, "office": ALL, "department": READ, "town": READ, "expert": READ},
    # lifecycle
    # The review steps, appointments, dismissals and announcements are the office's and the
    # leaders' (第十二、十三、十七条); sysadmin reads. A term comes only from an appointment:
    # no one creates one by hand, the office may correct its 发文文号 (admin_views.lifecycle).
    # review: the office's steps (初审, 测试, 拟聘名单, 发文, 第十七条); decide: the 局长办公会议 (第十二条).
    "application": {"sysadmin": READ_EXPORT, "office": WRITE_EXPORT | {"review"}, "leader": READ_EXPORT | {"decide"}},
    # renew: 续聘 and 换届 (第十一条), by the office.
    "term": {"sysadmin": READ_EXPORT, "office": READ_EXPORT | {"edit", "renew"}, "leader": READ, "expert": READ},
    "commitment_letter": {"sysadmin": ALL, "office": WRITE, "expert": READ},
    # Permits change only through services (issue, 补办/换发, revoke), never through forms;
    # printing and 补办 are custom actions of 基础科 and sysadmin (admin_views/permits.py).
    # issue: 签发, print and 补办/换发 (keeps_permits below).
    "permit": {"sysadmin": READ_EXPORT | {"issue"}, "office": READ_EXPORT | {"issue"}, "leader": READ, "expert": READ},
    # announce: the office drafts the 解聘公告; decide: the leader approves or declines (第十三条).
    "dismissal": {"sysadmin": READ_EXPORT, "office": WRITE_EXPORT | {"announce"}, "leader": READ_EXPORT | {"decide"}},
    # publish: the office publishes a drafted announcement.
    "announcement": {"sysadmin": READ_EXPORT, "office": WRITE_EXPORT | {"delete", "publish"}, "leader": READ},
    # using experts. Requests are cancelled, never deleted; assignments and notices change only
    # through the request page, the expert's phone and the receipt page (admin_views/dispatch.py).
    "usage_request": {
        "sysadmin": WRITE_EXPORT,
        "office": READ_EXPORT,
        "department": WRITE_EXPORT,
        "town": WRITE_EXPORT,
        "leader": READ,
    },
    "assignment": {"sysadmin": READ_EXPORT, "office": READ_EXPORT, "department": READ, "town": READ, "expert": READ},
    "notice": {"sysadmin": READ_EXPORT, "office": READ_EXPORT, "department": READ_EXPORT, "town": READ_EXPORT},
    # report pages (one list page each): emergency paperwork per unit, fairness of the draw
    "overdue_paperwork": {r: frozenset({"list"}) for r in ("sysadmin", "office", "department", "town", "leader")},
    "fairness_report": {r: frozenset({"list"}) for r in ("sysadmin", "office", "leader")},
    # The phone workspace under /m/ (app/mobile: workspace, requests, staffing, notices, contact):
    # a 镇街 or 局科室/大队 works its own unit's requests there (list: its day on /m/); each route
    # names its row and action (app.mobile.access.unit_page).
    "phone_request": {r: WRITE for r in ("department", "town")},
    "phone_notice": {r: WRITE for r in ("department", "town")},
    # Calling or messaging an expert drawn for the unit's own job, each use audited (SPEC §3.15).
    "phone_contact": {r: frozenset({"create"}) for r in ("department", "town")},
    # fees
    "fee_standard": {"sysadmin": ALL, "office": READ, "leader": READ, "department": READ, "town": READ},
    "holiday": {"sysadmin": ALL, "office": READ},
    "service_record": {
        "sysadmin": ALL,
        "office": WRITE_EXPORT,
        "leader": READ_EXPORT,
        "department": READ,
        "town": READ_EXPORT,
        "expert": READ,
    },
    "payout_batch": {"sysadmin": ALL, "office": WRITE_EXPORT, "leader": READ_EXPORT},
    # Report pages over service records (admin_views.fees, admin_views.payouts): the list page by GET; POST actions
    # of their own. 附件4 备注: the using unit proposes an amount 另行确定, only a leader approves.
    "fee_approval": {"leader": frozenset({"list", "approve"}), "sysadmin": frozenset({"list", "propose"}),
                     "office": frozenset({"list", "propose"}), "department": frozenset({"list", "propose"}),
                     "town": frozenset({"list", "propose"})},
    # 第十九条: what each town owes; a town records its own payments.
    "town_dues": {"sysadmin": frozenset({"list"}), "office": frozenset({"list"}), "leader": frozenset({"list"}),
                  "town": frozenset({"list", "mark_paid"})},
    # evaluation and discipline
    # Forms as data (SPEC §3.19): the office builds and revises them (附件5 among them); versions
    # are never edited once published, and a form with submissions is retired, not deleted.
    # The builder's own pages list the forms; what is exported is each version's submissions
    # (form_submission), so Flask-Admin's raw export of the definitions is not offered.
    "form_definition": {"sysadmin": ALL - {"export"}, "office": ALL - {"export"}, "leader": READ},
    # Submissions are filled on the phone and never edited (a signature cannot change).
    "form_submission": {"sysadmin": READ_EXPORT, "office": READ_EXPORT, "leader": READ_EXPORT,
                        "department": READ_EXPORT, "town": READ_EXPORT, "expert": READ},
    # Evaluations are entered on the phone page (/m/score), where the scoring rules apply;
    # a saved 评价表 is never edited through a form. score: fills 附件5 for its unit (第二十二条:
    # 科室、执法大队、镇街); enter_paper: types in a paper form for the unit that filled it, with
    # the day it arrived; every_unit: opens any unit's evaluations and jobs — 基础科.
    "evaluation": {
        "sysadmin": READ_EXPORT | {"delete"},
        "office": READ_EXPORT | {"score", "enter_paper", "every_unit"},
        "leader": READ_EXPORT,
        "department": READ_EXPORT | {"score"},
        "town": READ_EXPORT | {"score"},
        "expert": READ,
    },
    "follow_up": {"sysadmin": ALL, "office": WRITE_EXPORT, "leader": READ},
    "enforcement_plan": {"sysadmin": ALL, "office": WRITE_EXPORT, "department": READ, "town": READ},
    # 第二十二条 boards: a unit sees its own row, the office and leaders every unit.
    "submissions": {"sysadmin": frozenset({"list", "export"}), "office": frozenset({"list", "export"}),
                    "leader": frozenset({"list", "export"}), "department": frozenset({"list"}),
                    "town": frozenset({"list"})},
    "coverage": {"sysadmin": frozenset({"list", "export"}), "office": frozenset({"list", "export"}),
                 "leader": frozenset({"list", "export"}), "department": frozenset({"list"}),
                 "town": frozenset({"list"})},
    "violation": {"sysadmin": ALL, "office": WRITE_EXPORT, "leader": READ_EXPORT},
    "interview": {"sysadmin": ALL, "office": WRITE_EXPORT, "leader": READ},
    # computed records: no forms for anyone; 基础科 runs and publishes through the view (admin_views.discipline)
    # assess: 基础科 runs and publishes the year's grades (第十七条: 负责专家的……考核; 第二十二条).
    "annual_assessment": {"sysadmin": READ_EXPORT, "office": READ_EXPORT | {"assess"}, "leader": READ_EXPORT,
                          "expert": READ},
    # feedback
    "opinion": {"sysadmin": ALL, "office": WRITE, "expert": READ},
    # What waits for whom (admin_views.inbox): the leader's 待我审批 — "approve" decides through
    # the areas' own functions — and the office's 待我处理 (with printing the permits it lists).
    "approvals": {"leader": frozenset({"list", "approve"})},
    "office_queue": {"office": frozenset({"list"})},
    # Complaints arrive from the public form only (no create); 基础科 handles them.
    "complaint": {"sysadmin": ALL - {"create"}, "office": READ_EXPORT | {"edit"}},
}

# 三员分立 on accounts: the fields of a user account each administrator sets through the user
# form. At creation the sysadmin also proposes the role, unit and expert of the account,
# which stays disabled until the secadmin enables it. Nobody changes these of his own account.
ACCOUNT_FIELDS: dict[str, frozenset] = {
    "sysadmin": frozenset({"username", "full_name", "phone", "password"}),
    "secadmin": frozenset({"role", "org_unit", "expert", "active"}),
}
ACCOUNT_CREATE_FIELDS: dict[str, frozenset] = {
    "sysadmin": ACCOUNT_FIELDS["sysadmin"] | {"role", "org_unit", "expert"},
}
# Fields that decide what an account may do (a change is a permission change).
PERMISSION_FIELDS = frozenset({"role", "org_unit", "expert", "active"})
# The three administrators. Their roles are given only on the server (flask create-user): through
# the web nobody creates an account with one, gives one or takes one away — so no account can
# make an administrator whose password it knows. Their password only their holder changes
# through the system (a lost one is reset on the server: flask reset-password).
ADMIN_ROLES = frozenset({"sysadmin", "secadmin", "auditor"})
SELF_PASSWORD_ROLES = ADMIN_ROLES

# Roles that see full ID numbers and phones (SPEC §3.15); everyone else sees them masked.
UNMASKED_ROLES = frozenset({"office", "sysadmin"})
# Roles warned on their dashboard when the last good backup is too old (the sysadmin runs
# the backups, SPEC §1); the rule itself is app.services.backup_status.last_backup_status.
BACKUP_WATCH_ROLES = frozenset({"sysadmin"})


def allowed(role: str | None, endpoint: str, action: str) -> bool:
    """True if ``role`` may perform ``action`` on the admin view ``endpoint``."""
    if role is None:
        return False
    return action in RIGHTS.get(endpoint, {}).get(role, NONE)


def sees_unmasked(role: str | None) -> bool:
    """True if the role may see full ID numbers and phone numbers."""
    return role in UNMASKED_ROLES


def watches_backups(role: str | None) -> bool:
    """True if the role is shown the age of the last good backup and its warning."""
    return role in BACKUP_WATCH_ROLES


# --- Rights outside one view's actions (issue 15, parts 4–5) ------------------------------------
# Templates, the phone pages and services ask these instead of comparing a role with a name, so
# who may see or do a thing is still decided in this module. Each predicate takes a role (None
# for an anonymous visitor) and says which row of RIGHTS it follows, if any.

#: The accounts of experts themselves: the phone's 我的任务, 我的专家费, 我的工作证, 我的评价 and
#: 意见建议 are theirs, each showing only the expert's own records (SPEC §1, §3.15).
EXPERT_SELF_ROLES = frozenset({"expert"})
#: The staff of a 镇街 or a 局科室/大队: they see and act on their own unit's jobs only.
UNIT_ROLES = frozenset({"department", "town"})
#: Who sees a form filled by any unit on the phone (基础科 and the system administrator); every
#: other role sees the submissions of its own unit and its own.
EVERY_UNIT_FORM_ROLES = frozenset({"office", "sysadmin"})


def holders(endpoint: str, action: str) -> frozenset:
    """The roles that may perform ``action`` on ``endpoint`` (for a query over who acted)."""
    return frozenset(role for role, actions in RIGHTS.get(endpoint, {}).items() if action in actions)


def is_expert_self(role: str | None) -> bool:
    """True if the account is an expert's own: the phone pages of his own tasks and fees."""
    return role in EXPERT_SELF_ROLES


def has_phone_workspace(role: str | None) -> bool:
    """True if the role's day is on the phone workspace under /m/ (its requests' list)."""
    return allowed(role, "phone_request", "list")


def sees_expert_lifecycle(role: str | None) -> bool:
    """True if the expert page shows the role the 聘任 panel and the 履历 (timeline): those who
    read the expert's terms — the office, the system administrator, leaders, the expert."""
    return allowed(role, "term", "details")


def sees_eligibility(role: str | None) -> bool:
    """True if the expert page shows the role the conditions of 第十一条: those who read the
    applications they are checked for (the office, the system administrator, leaders)."""
    return allowed(role, "application", "details")


def keeps_expert_lifecycle(role: str | None) -> bool:
    """True if the role starts the expert's lifecycle steps from his page (登记承诺书, 新建申请,
    提出解聘): 基础科, who reviews the applications (第十二条); each step also needs its page's
    own right."""
    return allowed(role, "application", "review")


def keeps_permits(role: str | None) -> bool:
    """True if the role signs, prints and re-issues 专家工作证 (第七条): 基础科 and the system
    administrator (RIGHTS["permit"] "issue")."""
    return allowed(role, "permit", "issue")


def works_for_a_unit(role: str | None) -> bool:
    """True if the role is a unit's staff, who see their own unit's jobs and follow-ups only."""
    return role in UNIT_ROLES


def scores_experts(role: str | None) -> bool:
    """True if the role fills the 附件5 评价表 for its unit (RIGHTS["evaluation"] "score")."""
    return allowed(role, "evaluation", "score")


def enters_paper_evaluations(role: str | None) -> bool:
    """True if the role types in a paper 评价表 for the unit that filled it (基础科)."""
    return allowed(role, "evaluation", "enter_paper")


def sees_every_unit_evaluation(role: str | None) -> bool:
    """True if the role opens any unit's evaluations and scores any unit's jobs (基础科)."""
    return allowed(role, "evaluation", "every_unit")


def sees_every_unit_form(role: str | None) -> bool:
    """True if the role opens a form any unit filled on the phone, not only its own unit's."""
    return role in EVERY_UNIT_FORM_ROLES


#: The predicates templates call (registered as Jinja globals by ``app.register_template_filters``).
TEMPLATE_PREDICATES = {
    "is_expert_self": is_expert_self,
    "has_phone_workspace": has_phone_workspace,
    "sees_expert_lifecycle": sees_expert_lifecycle,
    "sees_eligibility": sees_eligibility,
    "keeps_expert_lifecycle": keeps_expert_lifecycle,
    "keeps_permits": keeps_permits,
}
def manages_every_request(role: str | None) -> bool:
    """True if the role acts on any unit's usage request, not only its own unit's: those who
    may edit requests (RIGHTS["usage_request"]) without being a unit's staff — the sysadmin."""
    return allowed(role, "usage_request", "edit") and not works_for_a_unit(role)


#: Who reclassifies an expert's decline of a job (正当理由 or not) besides the requesting unit and
#: the system administrator: 基础科, who answers for the absences the annual assessment counts.
DECLINE_CLASSIFIER_ROLES = frozenset({"office"})


def classifies_declines(role: str | None) -> bool:
    """True if the role may reclassify any unit's expert decline (admin_views.dispatch)."""
    return role in DECLINE_CLASSIFIER_ROLES
