"""The expert registry in the admin.

- :mod:`.experts`: the expert's record (附件2), its panels, roster import and photo;
- :mod:`.documents`: the expert's supporting files (证明材料);
- :mod:`.enterprises`: 服务单位 and conflicts of interest (回避);
- :mod:`.accounts`: org units and user accounts (三员分立).
"""
from admin_views.registry.accounts import OrgUnitView, UserView
from admin_views.registry.documents import ExpertDocumentView
from admin_views.registry.enterprises import ConflictView, EnterpriseView
from admin_views.registry.experts import ExpertView

__all__ = ["ConflictView", "EnterpriseView", "ExpertDocumentView", "ExpertView", "OrgUnitView", "UserView"]
