"""The expert's lifecycle in the admin (issue 3), one module per idea: applications and
their review (第十一、十二条, ``applications``), terms, renewal and 换届 (第六、七条) with
the commitment letters (附件1, ``terms``), dismissals (第十三条, ``dismissals``),
announcements (公告, ``announcements``) and the expert page's lifecycle panel (``panel``).

Views stay thin: every change goes through a service of ``app.services`` (review,
terms, dismissal, announcements), which checks the role and the state and raises a
``DomainError`` with the Chinese reason; the view commits or rolls back and shows the
message. The steps of the review are small pages of their own (one opinion box each)
and bulk pages for the test results, the 拟聘名单 and the appointment 发文.

Rights: the RIGHTS table decides who sees each view; the steps themselves are
decided by role inside — 基础科 (``office``) for 初审, test, 拟聘名单, 发文, renewal,
letters, proposals and announcements; 局领导 (``leader``) for the meeting's decisions
and dismissal approval. Anyone else gets 403.
"""
from admin_views.base import current_role
from app.auth.rights import allowed

LIFECYCLE = "聘任管理"


class OfficeStepActions:
    """Bulk actions that are steps of the procedure (初审, 发文, proposals…), each 基础科's.

    Mixed into a ``SecuredModelView``: the actions do not need the view's edit right, only the
    office role; Flask-Admin's built-in bulk 'delete' keeps following the delete right.
    """

    actions_need_edit = False

    def is_action_allowed(self, name):
        if name == "delete":
            return self.can_delete
        # 基础科's steps: the role that reviews the applications (RIGHTS["application"] "review")
        return allowed(current_role(), "application", "review") and name in dict(self._actions)
