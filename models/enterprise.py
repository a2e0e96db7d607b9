"""Enterprises served (服务单位) and conflicts of interest (回避, 第十条(四))."""
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import TimestampMixin, VersionedMixin, limited
from models.choices import CONFLICT_RELATIONS, CONFLICT_SOURCES

if TYPE_CHECKING:
    from models.expert import Expert
    from models.org import OrgUnit


class Enterprise(TimestampMixin, VersionedMixin, db.Model):
    """An enterprise that experts serve; its 统一社会信用代码 is checked."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    contact_person: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    industry: Mapped[str | None] = mapped_column(String(50))

    town: Mapped[Optional["OrgUnit"]] = relationship()
    conflicts: Mapped[list["ConflictOfInterest"]] = relationship(back_populates="enterprise")

    def __str__(self) -> str:
        return self.name


class ConflictOfInterest(TimestampMixin, db.Model):
    """Expert ↔ enterprise relation that excludes the expert from jobs at that enterprise."""

    __tablename__ = "conflict_of_interest"
    __table_args__ = (UniqueConstraint("expert_id", "enterprise_id", "relation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20), default="office")
    note: Mapped[str | None] = mapped_column(Text, info=limited("备注", 1000))

    expert: Mapped["Expert"] = relationship(back_populates="conflicts")
    enterprise: Mapped[Enterprise] = relationship(back_populates="conflicts")

    @property
    def relation_label(self) -> str:
        return CONFLICT_RELATIONS.get(self.relation, self.relation)

    @property
    def source_label(self) -> str:
        return CONFLICT_SOURCES.get(self.source, self.source)
