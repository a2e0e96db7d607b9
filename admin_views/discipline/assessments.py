"""年度考核 (``annual_assessment``): run a year's assessment, see the grades, publish them."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from admin_views.base import ReadOnlyView, current_role
from admin_views.discipline.common import _date, _nowrap, local_time
from admin_views.formatters import linked
from app import clock
from app.auth.rights import allowed, is_expert_self
from app.extensions import db
from app.services.discipline import assessment as assessment_service
from app.services.discipline.assessment import followup_info
from app.services.errors import DomainError
from models import AnnualAssessment, Interview
from models.choices import ASSESSMENT_GRADES


class AnnualAssessmentView(ReadOnlyView):
    """年度考核: run the year's assessment, list the grades, publish them (第二十二条)."""

    list_template = "admin/discipline/assessment_list.html"
    column_list = ("year", "expert", "grade", "average_score", "evaluation_count", "follow_up_count",
                   "follow_up_average", "enterprise_voice", "violation_count", "assignments", "attended", "absences",
                   "grade_reason")
    column_details_list = column_list + ("announcement", "decided_at")
    column_export_list = column_list + ("announcement",)
    column_labels = {
        "year": "年度", "expert": "专家", "expert.name": "专家姓名", "evaluation_count": "评价表",
        "average_score": "平均分", "follow_up_count": "回访", "follow_up_average": "回访满意度",
        "violation_count": "违规", "assignments": "选派", "attended": "到场",
        "absences": "无故缺席", "grade": "等次", "grade_reason": "评定依据", "announcement": "公示",
        "decided_at": "评定时间", "enterprise_voice": "企业回访",
    }
    column_descriptions = {"enterprise_voice": "份数和平均分；参数设置“企业回访是否计入年度考核”为“是”时计入回访测评",
                           "evaluation_count": "份",
                           "follow_up_count": "次", "follow_up_average": "满分5分",
                           "violation_count": "年度内发现并经核实的违规次数", "assignments": "被选派（含拒绝）次数",
                           "absences": "无正当理由拒绝或未到场次数"}
    column_default_sort = [("year", True), ("average_score", True)]
    column_sortable_list = ("year", "average_score", "evaluation_count", "grade", ("expert", "expert.name"))
    column_searchable_list = ("expert.name",)
    column_filters = (FilterEqual(AnnualAssessment.grade, "等次", options=list(ASSESSMENT_GRADES.items())),)
    column_formatters = {
        "expert": lambda v, c, m, n: _nowrap(m.expert.name),
        "grade": lambda v, c, m, n: _nowrap(m.grade_label),
        "decided_at": lambda v, c, m, n: local_time(m.decided_at),
        "announcement": lambda v, c, m, n: (
            f"已公示（{_date(m.announcement.published_on)}）" if m.announcement else "未公示"
        ),
        "grade_reason": lambda v, c, m, n: m.grade_reason or "",
        "enterprise_voice": lambda v, c, m, n: followup_info(m.expert_id, m.year).label,
    }
    column_formatters_export = {**column_formatters, "expert": lambda v, c, m, n: m.expert.name,
                                "grade": lambda v, c, m, n: m.grade_label}
    column_auto_select_related = False

    # ReadOnlyView: computed records, nobody types a grade in (第二十二条: 根据评定结果评定).
    actions_need_edit = False  # each action checks its own right in is_action_allowed

    def scope_query(self, query):
        if is_expert_self(current_role()):
            return query.filter(self.model.expert_id == (current_user.expert_id or -1))
        return query

    def _selected_year(self) -> int | None:
        if is_expert_self(current_role()):
            return None
        year = request.args.get("year", type=int)
        if year:
            return year
        latest = db.session.scalar(select(func.max(AnnualAssessment.year)))
        return latest or clock.today().year - 1

    def get_query(self):
        query = super().get_query().options(selectinload(AnnualAssessment.expert),
                                            selectinload(AnnualAssessment.announcement))
        year = self._selected_year()
        return query.filter(AnnualAssessment.year == year) if year else query

    def get_count_query(self):
        query = super().get_count_query()
        year = self._selected_year()
        return query.filter(AnnualAssessment.year == year) if year else query

    def render(self, template, **kwargs):
        if template == self.list_template:
            year = self._selected_year()
            kwargs["assessment_year"] = year
            if year:
                kwargs["grade_counts"] = assessment_service.grade_counts(year)
                kwargs["published"] = assessment_service.is_published(year)
                kwargs["announcement"] = db.session.scalar(
                    select(AnnualAssessment.announcement_id).where(AnnualAssessment.year == year,
                                                                   AnnualAssessment.announcement_id.is_not(None)).limit(1))
                kwargs["year_choices"] = list(range(clock.today().year, 2019, -1))
                kwargs["can_assess"] = allowed(current_role(), "annual_assessment", "assess")
                kwargs["pending_interviews"] = db.session.scalar(
                    select(func.count())
                    .select_from(Interview)
                    .join(AnnualAssessment, Interview.assessment_id == AnnualAssessment.id)
                    .where(AnnualAssessment.year == year, Interview.held_on.is_(None))
                )
        return super().render(template, **kwargs)

    def _assessor_or_403(self):
        if not allowed(current_role(), "annual_assessment", "assess"):
            abort(403)

    @expose("/run/", methods=("POST",))
    def run_view(self):
        """评定: compute the year's figures and grades (again, until published)."""
        self._assessor_or_403()
        year = request.form.get("year", type=int)
        try:
            rows = assessment_service.run_assessment(year)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            counts = {}
            for row in rows:
                counts[row.grade_label] = counts.get(row.grade_label, 0) + 1
            flash(f"{year}年度考核已评定：共{len(rows)}名专家，" + "，".join(f"{k}{v}名" for k, v in counts.items())
                  + "。核对无误后请公示。", "success")
        return redirect(url_for(".index_view", year=year))

    @expose("/publish/", methods=("POST",))
    def publish_view(self):
        """公示: publish the year's results; 不合格 experts get an interview (第十三条(六))."""
        self._assessor_or_403()
        year = request.form.get("year", type=int)
        try:
            ann = assessment_service.publish_assessment(year or 0, actor=current_user,
                                                        doc_no=(request.form.get("doc_no") or "").strip() or None)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(str(err), "error")
        else:
            unqualified = sum(1 for e in ann.entries if e.remark == ASSESSMENT_GRADES["unqualified"])
            flash(linked(f"已发布公告《{ann.title}》（{ann.doc_no}，{ann.published_on}）。",
                         url_for("public.announcement", announcement_id=ann.id), "查看公开页面"), "success")
            if unqualified:
                flash(linked(f"{unqualified}名不合格专家已生成待约谈记录。", url_for("interview.index_view"),
                             "查看约谈记录"), "info")
        return redirect(url_for(".index_view", year=year))
