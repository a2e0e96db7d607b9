"""What the expert's page shows of the enterprise follow-ups and of the extra registry fields
(data only: who sees what is decided in the services)."""
from __future__ import annotations

from flask_login import current_user

from admin_views.base import current_role
from app.services.discipline import followups
from app.services.lifecycle import extra_fields


def expert_followups(expert) -> list:
    """The follow-ups of the expert's jobs, as the current user may see them (none for the expert)."""
    return followups.followups_for_expert(current_user, expert.id)


def followup_sees_whole() -> bool:
    return followups.sees_whole_followups(current_user)


def expert_extra_rows(expert) -> list[tuple[str, str]]:
    """(label, value) of the registry fields in force, masked for the current role."""
    return extra_fields.rows_for(expert, role=current_role())
