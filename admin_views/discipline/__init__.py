"""Discipline and assessment in the admin (第二十一、二十二条, 第十三条(六); SPEC §3.7, §3.14).

- 违规处理 (``violation``, :mod:`.violations`): the office records a possible violation, then
  verifies it (核实 applies the ladder by itself and shows the sanction with its dates) or finds
  it unfounded (不予认定). Drafts opened by a very low evaluation item arrive here too.
- 约谈记录 (``interview``, :mod:`.interviews`): interviews opened by a suspension or an
  unqualified grade; the office records when they were held and, for a grade, the outcome.
- 年度考核 (``annual_assessment``, :mod:`.assessments`): run a year's assessment, see the
  grades, publish them.
- 回访测评 (``follow_up``, :mod:`.followups`): the enterprise's view of an expert's service,
  recorded by staff.
- The expert page's discipline panel (:mod:`.overview`).

The views only collect input and call ``app.services.discipline.ladder`` / ``assessment``.
"""
from admin_views.discipline.assessments import AnnualAssessmentView
from admin_views.discipline.common import span_text
from admin_views.discipline.followups import FollowUpView
from admin_views.discipline.interviews import InterviewView
from admin_views.discipline.overview import discipline_overview
from admin_views.discipline.violations import ViolationView

__all__ = [
    "AnnualAssessmentView",
    "FollowUpView",
    "InterviewView",
    "ViolationView",
    "discipline_overview",
    "span_text",
]
