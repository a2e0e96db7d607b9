"""The scoring rule of SPEC §3.11 / 附件5 on the form engine: version 1's maxima, the definition
checks of a revision, item maxima, the variant choice, the total.

Every check of a filled form is the engine's one function
(:func:`app.services.forms.validation.validate_submission`); these tests read it through the
附件5 version seeded as the app seeds it.
"""
import copy
import datetime as dt

import pytest

from app.extensions import db
from app.services.forms import definitions
from app.services.forms.builtin import annex5_spec
from app.services.forms.validation import Filled, FormInvalid, validate_submission
from app.services.scoring import evaluations as scoring
from tests.scoring.records import form_v1, full_scores, item_at

# 附件5 as printed: (序号, section, maximum). Variants A and B are both numbered 8–15.
ATTACHMENT_5 = (
    [(n, "required", m) for n, m in enumerate((5, 10, 10, 10, 5, 5, 5), start=1)]
    + [(n, "A", m) for n, m in enumerate((5, 5, 10, 5, 5, 5, 10, 5), start=8)]
    + [(n, "B", m) for n, m in enumerate((5, 5, 10, 10, 5, 5, 5, 5), start=8)]
)
HEADER = {"enterprise_name": "常州华润化工有限公司", "matter": "执法检查", "evaluator_name": "钱立军",
          "evaluated_on": "2026-03-05"}


def score_evaluation(form, variant, scores):
    """The engine's check of a 附件5 sheet: ``scores`` by field id (int or str)."""
    keys = {str(f.id): f.key for f in form.fields}
    values = {keys.get(str(k), str(k)): v for k, v in scores.items()}
    choices = {"考评对象": variant} if variant else {}
    return validate_submission(form, Filled(values={**HEADER, **values}, choices=choices), today=dt.date(2026, 12, 1))


@pytest.fixture
def FORM(app):
    return form_v1()


def test_seeded_version_1_has_the_maxima_of_attachment_5(app):
    form = form_v1()
    numbers = scoring.item_numbers(form)
    seeded = [(numbers[f.id], f.section.key, f.max_score) for f in form.fields if f.kind == "score"]
    assert seeded == ATTACHMENT_5
    assert form.total_max == 100 and form.state == "published"


def test_version_1_has_the_wording_of_attachment_5(app):
    labels = [f.label for f in form_v1().fields if f.kind == "score"]
    assert len(labels) == 23
    assert labels[0] == "态度诚恳，沟通顺畅"
    assert labels[6] == "遵纪守法，廉洁服务，自觉抵制歪风邪气，不“吃拿卡要”"
    assert labels[14] == "不要求服务单位安排车辆接送"
    assert labels[22] == "积极承担社会责任，服务企业满意度高"


@pytest.mark.parametrize("number,section,maximum", ATTACHMENT_5)
def test_the_rule_reads_the_maxima_of_attachment_5(FORM, number, section, maximum):
    item = item_at(FORM, number, "A" if section == "required" else section)
    assert (item.section.key, item.max_score) == (section, maximum)
    assert scoring.item_numbers(FORM)[item.id] == number


def test_version_1_itself_passes_the_definition_check(FORM):
    assert definitions.definition_problems(FORM) == []


def _revision(app, change):
    """A draft of 附件5 built from version 1's definition with ``change`` applied to it."""
    spec = copy.deepcopy(annex5_spec())
    change({s["key"]: s for s in spec["sections"]})
    return definitions.add_version(scoring.annex5_form(), spec)


def _maxima(key, maxima):
    def change(sections):
        sections[key]["fields"] = [{"key": f"{key}{i}", "label": f"{key}项目{i}", "kind": "score", "max_value": m}
                                   for i, m in enumerate(maxima, start=1)]
    return change


@pytest.mark.parametrize("change,message", [
    (_maxima("required", (5, 10, 10, 10, 5, 5)), "必填项各项满分合计应为50分，现为45分"),
    (_maxima("A", (5, 5, 10, 5, 5, 5, 10, 10)), "配合区、镇开展安全生产工作情况考评各项满分合计应为50分，现为55分"),
    (_maxima("B", (10, 10, 10, 10, 5)), "对企业开展业务服务质量考评各项满分合计应为50分，现为45分"),
    (_maxima("B", ()), "“对企业开展业务服务质量考评”还没有题目"),
    (_maxima("required", (5, 10, 10, 10, 5, 5, 5, 0)), "“必填项”的“required项目8”满分须为正整数"),
])
def test_a_revision_that_breaks_the_rule_is_refused(app, change, message):
    version = _revision(app, change)
    problems = definitions.definition_problems(version)
    assert any(message in p for p in problems), problems
    with pytest.raises(definitions.DefinitionError):
        definitions.publish(version)


def test_every_problem_of_a_definition_is_reported_at_once(app):
    def change(sections):
        _maxima("required", (5, 10, 10, 10, 5, 5))(sections)
        _maxima("A", (5, 5, 10, 5, 5, 5, 10, 10))(sections)
        sections["B"]["fields"][0]["label"] = ""
    problems = definitions.definition_problems(_revision(app, change))
    assert "“对企业开展业务服务质量考评”有一项未填写题目名称" in problems
    assert "必填项各项满分合计应为50分，现为45分" in problems
    assert any("表单满分应为100分" in p for p in problems) or len(problems) >= 3


def test_a_variant_may_have_other_items_if_it_still_adds_up(app):
    version = _revision(app, _maxima("B", (10, 10, 10, 10, 10)))
    assert definitions.definition_problems(version) == []
    definitions.publish(version)
    assert scoring.current_form() is version
    db.session.rollback()


# --- scoring a filled form ----------------------------------------------------------------------

ITEM_NUMBERS = [n for n, section, _ in ATTACHMENT_5 if section != "B"]  # 1–15 of variant A


@pytest.mark.parametrize("number", ITEM_NUMBERS)
@pytest.mark.parametrize("typed,problem", [
    ("max", None),
    ("max+1", "超过该项满分"),
    ("-1", "不能为负数"),
    ("abc", "须为整数"),
    ("2.5", "须为整数"),
    ("五", "须为整数"),
])
def test_each_item_takes_a_whole_number_from_0_to_its_maximum(FORM, number, typed, problem):
    form = FORM
    item = item_at(form, number)
    scores = full_scores(form)
    raw = {"max": str(item.max_score), "max+1": str(item.max_score + 1)}.get(typed, typed)
    scores[item.id] = raw
    if problem is None:
        assert score_evaluation(form, "A", scores).total == 100
        return
    with pytest.raises(FormInvalid) as err:
        score_evaluation(form, "A", scores)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith(f"第{number}项")
    assert problem in err.value.problems[0]


def test_zero_is_a_score(FORM):
    form = FORM
    scores = full_scores(form, "B")
    scores[item_at(form, 10, "B").id] = 0
    assert score_evaluation(form, "B", scores).total == 90


def test_a_missing_item_is_refused_with_its_number(FORM):
    form = FORM
    scores = full_scores(form)
    del scores[item_at(form, 3).id]
    scores[item_at(form, 12).id] = ""
    with pytest.raises(FormInvalid) as err:
        score_evaluation(form, "A", scores)
    assert "第3、12项未评分" in str(err.value)


def test_items_of_both_variants_are_refused(FORM):
    form = FORM
    scores = full_scores(form, "A")
    scores[item_at(form, 9, "B").id] = 5
    with pytest.raises(FormInvalid) as err:
        score_evaluation(form, "A", scores)
    assert "考评对象二选一" in str(err.value)
    assert "（第9项）" in str(err.value)


def test_a_form_filled_completely_on_both_variants_is_refused_whichever_is_chosen(FORM):
    form = FORM
    scores = {**full_scores(form, "A"), **full_scores(form, "B")}
    for variant in ("A", "B"):
        with pytest.raises(FormInvalid, match="二选一"):
            score_evaluation(form, variant, scores)


def test_no_variant_chosen_is_refused(FORM):
    form = FORM
    with pytest.raises(FormInvalid, match="请选择考评对象"):
        score_evaluation(form, None, full_scores(form))
    with pytest.raises(FormInvalid, match="请选择考评对象"):
        score_evaluation(form, "C", full_scores(form))


def test_the_other_variant_left_empty_is_fine(FORM):
    form = FORM
    scores = {str(k): str(v) for k, v in full_scores(form, "B").items()}
    scores.update({str(i.id): "" for i in scoring.form_sections(form)["A"]})
    assert score_evaluation(form, "B", scores).total == 100


def test_an_item_of_another_form_is_refused(FORM):
    form = FORM
    scores = full_scores(form)
    scores[999999] = 5
    with pytest.raises(FormInvalid, match="不属于第1版《武进区安全生产专家服务情况评价表》"):
        score_evaluation(form, "A", scores)


@pytest.mark.parametrize("variant,taken_off,total", [
    ("A", {}, 100),
    ("A", {1: 5}, 95),
    ("A", {2: 3, 10: 4, 14: 10}, 83),
    ("B", {11: 10, 15: 5}, 85),
])
def test_the_total_is_the_sum_of_the_scores(FORM, variant, taken_off, total):
    form = FORM
    scores = full_scores(form, variant)
    for number, points in taken_off.items():
        scores[item_at(form, number, variant).id] -= points
    assert score_evaluation(form, variant, scores).total == total


def test_all_zero_totals_zero(FORM):
    form = FORM
    assert score_evaluation(form, "B", {k: 0 for k in full_scores(form, "B")}).total == 0


def test_every_problem_of_a_sheet_is_reported_at_once(FORM):
    form = FORM
    scores = full_scores(form)
    scores[item_at(form, 1).id] = 6
    scores[item_at(form, 2).id] = -2
    scores[item_at(form, 8).id] = "x"
    with pytest.raises(FormInvalid) as err:
        score_evaluation(form, "A", scores)
    assert [p[:3] for p in err.value.problems] == ["第1项", "第2项", "第8项"]
