"""Experts, their groups, work history and supporting documents (SPEC §2, 附件2)."""
from datetime import date
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from models.base import PersonalString, TimestampMixin, VersionedMixin, limited
from models.choices import EDUCATION_LEVELS, EXPERT_SOURCES, EXPERT_STAGES, GENDERS, TITLE_LEVELS

if TYPE_CHECKING:
    from models.discipline import AnnualAssessment, Interview, Violation
    from models.dispatch import Assignment
    from models.enterprise import ConflictOfInterest
    from models.evaluation import Evaluation, FollowUp
    from models.feedback import Opinion
    from models.fees import ServiceRecord
    from models.lifecycle import CommitmentLetter, Dismissal, Permit, StatusEvent, Term
    from models.org import OrgUnit

expert_group_link = Table(
    "expert_group_link",
    db.metadata,
    Column("expert_id", ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("expert_group.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ExpertGroup(db.Model):
    """One of the 12 groups of 第三条; created by a migration."""

    __tablename__ = "expert_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self) -> str:
        return self.name


class Expert(TimestampMixin, VersionedMixin, db.Model):
    """An expert's registration record: every field of 附件2."""

    __tablename__ = "expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_no: Mapped[str | None] = mapped_column(String(30), unique=True)  # 登记表编号
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[str] = mapped_column(String(10))
    birth_date: Mapped[date] = mapped_column(Date)
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族")
    party: Mapped[str | None] = mapped_column(String(30))  # 党派
    birthplace: Mapped[str | None] = mapped_column(String(100))
    photo_path: Mapped[str | None] = mapped_column(String(255))
    photo_thumb_path: Mapped[str | None] = mapped_column(String(255))
    employer: Mapped[str] = mapped_column(String(200), index=True)  # 工作单位（全称）
    employer_uscc: Mapped[str | None] = mapped_column(String(18))
    supervising_dept: Mapped[str | None] = mapped_column(String(200))  # 主管部门（全称）
    position: Mapped[str | None] = mapped_column(String(100))  # 现任职务
    title: Mapped[str | None] = mapped_column(String(100))  # 职称（全称）
    title_level: Mapped[str] = mapped_column(String(20), default="none", index=True)
    graduated_from: Mapped[str | None] = mapped_column(String(100))
    education: Mapped[str] = mapped_column(String(20), index=True)
    full_time_education: Mapped[bool] = mapped_column(Boolean, default=True)
    profession: Mapped[str | None] = mapped_column(String(100))  # 从事专业
    specialty: Mapped[str | None] = mapped_column(Text, info=limited("擅长领域", 1000))  # 擅长领域
    registered_safety_engineer: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    registered_safety_assessor: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Personal data, encrypted at rest with SM4-GCM (SPEC §3.20; models.base.PersonalString).
    # The ID number and the mobile are found through their keyed blind index (HMAC-SM3),
    # which also keeps ID numbers unique.
    id_number: Mapped[str] = mapped_column(
        PersonalString(18, "expert.id_number", index="id_number_bidx", normalise="id_number"))
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), unique=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str | None] = mapped_column(PersonalString(200, "expert.address"))
    wechat: Mapped[str | None] = mapped_column(PersonalString(50, "expert.wechat"))
    work_phone: Mapped[str | None] = mapped_column(PersonalString(30, "expert.work_phone"))
    home_phone: Mapped[str | None] = mapped_column(PersonalString(30, "expert.home_phone"))
    mobile: Mapped[str] = mapped_column(PersonalString(20, "expert.mobile", index="mobile_bidx", normalise="phone"))
    mobile_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(PersonalString(120, "expert.email"))
    qq: Mapped[str | None] = mapped_column(PersonalString(20, "expert.qq"))
    field_start_year: Mapped[int | None] = mapped_column(Integer)  # 从事相关专业工作起始年份
    achievements: Mapped[str | None] = mapped_column(Text, info=limited("主要工作业绩", 4000))  # 主要工作业绩
    awards: Mapped[str | None] = mapped_column(Text, info=limited("曾获何种奖励", 2000))  # 曾获何种奖励
    own_opinion: Mapped[str | None] = mapped_column(Text, info=limited("本人意见", 1000))  # 本人意见
    recommender_opinion: Mapped[str | None] = mapped_column(Text, info=limited("推荐单位意见", 2000))  # 推荐单位意见
    recommender_contact: Mapped[str | None] = mapped_column(String(50))
    recommender_phone: Mapped[str | None] = mapped_column(String(30))
    review_opinion: Mapped[str | None] = mapped_column(Text, info=limited("审核意见", 2000))  # 审核意见
    source: Mapped[str] = mapped_column(String(20), default="district", index=True)
    upper_pool_level: Mapped[str | None] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20), default="applicant", index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)  # 所在镇/街道
    health_declared: Mapped[bool] = mapped_column(Boolean, default=False)
    ethics_declared: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text, info=limited("备注", 1000))

    groups: Mapped[list[ExpertGroup]] = relationship(secondary=expert_group_link, order_by=ExpertGroup.sort_order)
    town: Mapped[Optional["OrgUnit"]] = relationship()
    work_history: Mapped[list["WorkHistory"]] = relationship(
        back_populates="expert", cascade="all, delete-orphan", order_by="WorkHistory.position_no"
    )
    documents: Mapped[list["ExpertDocument"]] = relationship(back_populates="expert", cascade="all, delete-orphan")
    # What the expert's record gathers from the other areas (each declared on both sides).
    violations: Mapped[list["Violation"]] = relationship(back_populates="expert")
    interviews: Mapped[list["Interview"]] = relationship(back_populates="expert")
    assessments: Mapped[list["AnnualAssessment"]] = relationship(back_populates="expert")
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="expert")
    conflicts: Mapped[list["ConflictOfInterest"]] = relationship(back_populates="expert")
    evaluations: Mapped[list["Evaluation"]] = relationship(back_populates="expert")
    follow_ups: Mapped[list["FollowUp"]] = relationship(back_populates="expert")
    opinions: Mapped[list["Opinion"]] = relationship(back_populates="expert")
    service_records: Mapped[list["ServiceRecord"]] = relationship(back_populates="expert")
    terms: Mapped[list["Term"]] = relationship(back_populates="expert")
    commitment_letters: Mapped[list["CommitmentLetter"]] = relationship(back_populates="expert")
    permits: Mapped[list["Permit"]] = relationship(back_populates="expert")
    dismissals: Mapped[list["Dismissal"]] = relationship(back_populates="expert")
    timeline: Mapped[list["StatusEvent"]] = relationship(back_populates="expert")

    @property
    def gender_label(self) -> str:
        return GENDERS.get(self.gender, self.gender)

    @property
    def education_label(self) -> str:
        return EDUCATION_LEVELS.get(self.education, self.education)

    @property
    def title_level_label(self) -> str:
        return TITLE_LEVELS.get(self.title_level, self.title_level)

    @property
    def source_label(self) -> str:
        return EXPERT_SOURCES.get(self.source, self.source)

    @property
    def stage_label(self) -> str:
        return EXPERT_STAGES.get(self.stage, self.stage)

    @property
    def group_names(self) -> list[str]:
        return [g.name for g in self.groups]

    def __str__(self) -> str:
        return self.name


class WorkHistory(db.Model):
    """One row of 主要工作经历: period written ``1988.09-1992.07`` (附件2 填表说明1)."""

    __tablename__ = "work_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    position_no: Mapped[int] = mapped_column(Integer, default=0)
    period: Mapped[str] = mapped_column(String(20))
    employer: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))

    expert: Mapped[Expert] = relationship(back_populates="work_history")

    def __str__(self) -> str:
        return f"{self.period} {self.employer}"


class ExpertDocument(TimestampMixin, db.Model):
    """A supporting file: 身份证, 职称证书, 毕业证书, other proofs (附件2 填表说明14)."""

    __tablename__ = "expert_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str | None] = mapped_column(String(100))
    file_path: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    expert: Mapped[Expert] = relationship(back_populates="documents")

    def __str__(self) -> str:
        return self.title or self.kind
