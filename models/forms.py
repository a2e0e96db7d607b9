"""Forms as versioned data (SPEC §2 "form definitions", §3.19): definitions built by the office,
their versions, sections and fields, and the submissions filled against a version.

A :class:`FormDefinition` is what the office names ("武进区安全生产专家服务情况评价表"); it has
numbered :class:`FormVersion` rows. A version is a draft until published and never changes
afterwards; a submission keeps the version it was filled on. The rules live in
:mod:`app.services.forms`; the models hold columns, relations and trivial properties only.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import PersonalString, TimestampMixin, limited, utcnow
from models.choices import FIELD_KINDS, FORM_PURPOSES

if TYPE_CHECKING:
    from models.dispatch import Assignment, Notice
    from models.enterprise import Enterprise
    from models.expert import Expert
    from models.org import OrgUnit, User


class FormDefinition(TimestampMixin, db.Model):
    """A form the office keeps: its purpose, who fills it, and its versions.

    ``code`` names the forms the software itself relies on (``annex5`` = 附件5 评价表,
    ``receipt`` = 告知书回执); forms the office adds have none.
    """

    __tablename__ = "form_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(20), default="none")
    fill_roles: Mapped[list] = mapped_column(JSON, default=list)
    fill_unit_ids: Mapped[list] = mapped_column(JSON, default=list)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    public_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="form", cascade="all, delete-orphan", order_by="FormVersion.number"
    )

    @property
    def purpose_label(self) -> str:
        return FORM_PURPOSES.get(self.purpose, self.purpose)

    def __str__(self) -> str:
        return self.title


class FormVersion(TimestampMixin, db.Model):
    """One version of a form: a draft the office edits, or a published version that never changes."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("form_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_definition.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    title: Mapped[str] = mapped_column(String(100))
    intro: Mapped[str | None] = mapped_column(Text, info=limited("表头说明", 2000))
    instructions: Mapped[str | None] = mapped_column(Text, info=limited("填表说明", 5000))  # 填表说明, one point a line
    total_max: Mapped[int | None] = mapped_column(Integer)
    total_label: Mapped[str] = mapped_column(String(40), default="总分")
    note: Mapped[str | None] = mapped_column(Text, info=limited("修订说明", 1000))  # 修订说明
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    form: Mapped[FormDefinition] = relationship(back_populates="versions")
    sections: Mapped[list[FormSection]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="FormSection.position"
    )

    @property
    def is_draft(self) -> bool:
        return self.state == "draft"

    @property
    def fields(self) -> list[FormField]:
        """Every field, in page order."""
        return [f for s in self.sections for f in s.fields]

    def __str__(self) -> str:
        return f"{self.title}（第{self.number}版）"


class FormSection(db.Model):
    """A part of a form. Sections sharing a ``choice_group`` are alternatives: exactly one is filled."""

    __tablename__ = "form_section"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(100))
    help: Mapped[str | None] = mapped_column(Text, info=limited("说明", 500))
    points: Mapped[int | None] = mapped_column(Integer)  # the stated points its maxima must add up to
    choice_group: Mapped[str | None] = mapped_column(String(40))  # e.g. 考评对象

    version: Mapped[FormVersion] = relationship(back_populates="sections")
    fields: Mapped[list[FormField]] = relationship(
        back_populates="section", cascade="all, delete-orphan", order_by="FormField.position"
    )

    def __str__(self) -> str:
        return self.title


class FormField(db.Model):
    """A typed question of a section (``kind`` one of :data:`models.choices.FIELD_KINDS`)."""

    __tablename__ = "form_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("form_section.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    help: Mapped[str | None] = mapped_column(Text, info=limited("填写说明", 500))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    max_length: Mapped[int | None] = mapped_column(Integer)
    min_value: Mapped[int | None] = mapped_column(Integer)
    max_value: Mapped[int | None] = mapped_column(Integer)  # a score's maximum
    options: Mapped[list | None] = mapped_column(JSON)
    note_label: Mapped[str | None] = mapped_column(String(20))  # a note beside a score, e.g. 发现问题
    no_future: Mapped[bool] = mapped_column(Boolean, default=False)  # a date not after today
    # Registry fields (the expert's extra fields): shown on the public /apply page; personal data
    # masked like ID numbers and phones. Meaningless on other forms.
    public_field: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    personal: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    section: Mapped[FormSection] = relationship(back_populates="fields")

    @property
    def kind_label(self) -> str:
        return FIELD_KINDS.get(self.kind, self.kind)

    # The names the 附件5 code has always used for an item.
    @property
    def text(self) -> str:
        return self.label

    @property
    def max_score(self) -> int | None:
        return self.max_value

    def __str__(self) -> str:
        return self.label


class FormSubmission(TimestampMixin, db.Model):
    """One filled form; keeps its version. ``client_uuid`` makes a phone's re-sends idempotent.

    What it is about (the purpose of its form) is one of ``assignment``, ``expert``,
    ``enterprise`` or ``notice``; ``unit`` is the filler's unit (none for the public).
    """

    __tablename__ = "form_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str | None] = mapped_column(String(64), unique=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_definition.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="SET NULL"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="SET NULL"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    is_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int | None] = mapped_column(Integer)
    choices: Mapped[dict] = mapped_column(JSON, default=dict)  # alternative group -> chosen section key

    form: Mapped[FormDefinition] = relationship()
    version: Mapped[FormVersion] = relationship()
    expert: Mapped[Expert | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    assignment: Mapped[Assignment | None] = relationship()
    notice: Mapped[Notice | None] = relationship()
    unit: Mapped[OrgUnit | None] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    answers: Mapped[list[FormAnswer]] = relationship(
        back_populates="submission", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.version.title if self.version else '表单'}填报#{self.id}"


class FormAnswer(db.Model):
    """The answer to one field: text (choices, dates, times as text), a number (integers, scores,
    yes/no as 1/0), a note (发现问题), or a stored picture with who signed and when."""

    __tablename__ = "form_answer"
    __table_args__ = (UniqueConstraint("submission_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("form_submission.id", ondelete="CASCADE"), index=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("form_field.id"), index=True)
    text: Mapped[str | None] = mapped_column(Text, info=limited("填报内容", 5000))
    number: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text, info=limited("备注", 500))
    file_path: Mapped[str | None] = mapped_column(String(255))
    signed_by: Mapped[str | None] = mapped_column(String(50))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    submission: Mapped[FormSubmission] = relationship(back_populates="answers")
    field: Mapped[FormField] = relationship()

    # The names the 附件5 code has always used for an item's score.
    @property
    def score(self) -> int | None:
        return self.number

    @property
    def problem(self) -> str | None:
        return self.note

    @property
    def item(self) -> FormField:
        return self.field

    @property
    def item_id(self) -> int:
        return self.field_id


class ExpertFieldValue(TimestampMixin, db.Model):
    """The value of one office-defined registry field (form ``registry``) for one expert.

    Keyed by the field's ``key``, not its row: a field keeps its key across versions of the
    registry form, and a retired field (no longer in the current version) keeps its values.
    Numbers, dates and yes/no are stored as their text (``12``, ``2027-05-01``, ``1``).
    The value of a field marked personal data is kept in ``sealed`` (SM4-GCM at rest, like
    ID numbers; ``value`` is then empty) — read and write both through
    ``app.services.lifecycle.extra_fields``, which knows which fields are personal.
    """

    __tablename__ = "expert_field_value"
    __table_args__ = (UniqueConstraint("expert_id", "field_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    field_key: Mapped[str] = mapped_column(String(40), index=True)
    value: Mapped[str] = mapped_column(Text, info=limited("扩展字段", 2000))
    sealed: Mapped[str | None] = mapped_column(PersonalString(2000, "expert_field_value.sealed"))

    @property
    def text(self) -> str:
        """The value as entered, whichever column holds it."""
        return self.sealed if self.sealed is not None else self.value
