"""The scoring rule of SPEC §3.11 / 附件5: form definitions, item maxima, the variant choice, the total.

The rule is pure: most tests score an in-memory copy of version 1 built from the same data
the database is seeded from (no app needed); one test checks the seeded version itself.
"""
import pytest

from app.services.scoring import evaluations as scoring
from app.services.scoring.evaluations import ScoringError, score_evaluation, validate_form_definition
from models import EvalForm, EvalItem
from printables.eval_form_v1 import EVALUATION_FORM_V1
from tests.scoring.conftest import form_v1, full_scores, item_at


def memory_form_v1() -> EvalForm:
    """Version 1 as ``ensure_eval_form_v1`` seeds it, with ids, outside any database."""
    form = EvalForm(id=1, version=1, title=EVALUATION_FORM_V1["title"])
    sections = [("required", EVALUATION_FORM_V1["required"])] + list(EVALUATION_FORM_V1["variants"].items())
    position = 0
    for key, section in sections:
        for item in section["items"]:
            position += 1
            form.items.append(EvalItem(id=100 + position, section=key, position=position, text=item["text"],
                                       max_score=item["max"]))
    return form


FORM = memory_form_v1()

# 附件5 as printed: (序号, section, maximum). Variants A and B are both numbered 8–15.
ATTACHMENT_5 = (
    [(n, "required", m) for n, m in enumerate((5, 10, 10, 10, 5, 5, 5), start=1)]
    + [(n, "A", m) for n, m in enumerate((5, 5, 10, 5, 5, 5, 10, 5), start=8)]
    + [(n, "B", m) for n, m in enumerate((5, 5, 10, 10, 5, 5, 5, 5), start=8)]
)


def _definition(required=(5, 10, 10, 10, 5, 5, 5), a=(5, 5, 10, 5, 5, 5, 10, 5), b=(5, 5, 10, 10, 5, 5, 5, 5)):
    return {key: [{"text": f"{key}项目{i}", "max": m} for i, m in enumerate(maxima, start=1)]
            for key, maxima in (("required", required), ("A", a), ("B", b))}


def test_seeded_version_1_has_the_maxima_of_attachment_5(app):
    form = form_v1()
    numbers = scoring.item_numbers(form)
    seeded = [(numbers[i.id], i.section, i.max_score) for i in sorted(form.items, key=lambda i: i.position)]
    assert seeded == ATTACHMENT_5


@pytest.mark.parametrize("number,section,maximum", ATTACHMENT_5)
def test_the_rule_reads_the_maxima_of_attachment_5(number, section, maximum):
    item = item_at(FORM, number, "A" if section == "required" else section)
    assert (item.section, item.max_score) == (section, maximum)
    assert scoring.item_numbers(FORM)[item.id] == number


def test_version_1_itself_passes_the_form_rule():
    cleaned = validate_form_definition(scoring.definition_of(FORM))
    assert [sum(i["max"] for i in cleaned[k]) for k in ("required", "A", "B")] == [50, 50, 50]


@pytest.mark.parametrize("definition,message", [
    (_definition(required=(5, 10, 10, 10, 5, 5)), "必填项各项满分合计为45分，应为50分"),
    (_definition(a=(5, 5, 10, 5, 5, 5, 10, 10)), "配合区、镇开展安全生产工作情况考评各项满分合计为55分，应为50分"),
    (_definition(b=(10, 10, 10, 10, 5)), "对企业开展业务服务质量考评各项满分合计为45分，应为50分"),
    (_definition(b=()), "对企业开展业务服务质量考评至少需要一个考评项目"),
    (_definition(required=(5, 10, 10, 10, 5, 5, 5, 0)), "必填项第8项满分须为正整数，当前为0"),
    (_definition(a=(5, 5, 10, 5, 5, 5, 10, 5, -5)), "第9项满分须为正整数，当前为-5"),
    (_definition(required=(5, 10, 10, 10, 5, 5, "5.0")), "必填项第7项满分须为正整数，当前为5.0"),
    (_definition(required=(5, 10, 10, 10, 5, 5, "五")), "必填项第7项满分须为正整数，当前为五"),
])
def test_a_definition_that_breaks_the_rule_is_refused(definition, message):
    with pytest.raises(ScoringError) as err:
        validate_form_definition(definition)
    assert message in str(err.value)


def test_every_problem_of_a_definition_is_reported_at_once():
    definition = _definition(required=(5, 10, 10, 10, 5, 5), a=(5, 5, 10, 5, 5, 5, 10, 10))
    definition["B"][0]["text"] = "  "
    with pytest.raises(ScoringError) as err:
        validate_form_definition(definition)
    assert len(err.value.problems) == 3
    assert "对企业开展业务服务质量考评第1项未填写考评内容" in err.value.problems


def test_a_variant_may_have_other_items_if_it_still_adds_up():
    cleaned = validate_form_definition(_definition(b=(10, 10, 10, 10, 10)))
    assert len(cleaned["B"]) == 5


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
def test_each_item_takes_a_whole_number_from_0_to_its_maximum(number, typed, problem):
    form = FORM
    item = item_at(form, number)
    scores = full_scores(form)
    raw = {"max": str(item.max_score), "max+1": str(item.max_score + 1)}.get(typed, typed)
    scores[item.id] = raw
    if problem is None:
        assert score_evaluation(form, "A", scores).total == 100
        return
    with pytest.raises(ScoringError) as err:
        score_evaluation(form, "A", scores)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith(f"第{number}项")
    assert problem in err.value.problems[0]


def test_zero_is_a_score():
    form = FORM
    scores = full_scores(form, "B")
    scores[item_at(form, 10, "B").id] = 0
    assert score_evaluation(form, "B", scores).total == 90


def test_a_missing_item_is_refused_with_its_number():
    form = FORM
    scores = full_scores(form)
    del scores[item_at(form, 3).id]
    scores[item_at(form, 12).id] = ""
    with pytest.raises(ScoringError) as err:
        score_evaluation(form, "A", scores)
    assert "第3、12项未评分" in str(err.value)


def test_items_of_both_variants_are_refused():
    form = FORM
    scores = full_scores(form, "A")
    scores[item_at(form, 9, "B").id] = 5
    with pytest.raises(ScoringError) as err:
        score_evaluation(form, "A", scores)
    assert "考评对象二选一" in str(err.value)
    assert "（第9项）" in str(err.value)


def test_a_form_filled_completely_on_both_variants_is_refused_whichever_is_chosen():
    form = FORM
    scores = {**full_scores(form, "A"), **full_scores(form, "B")}
    for variant in ("A", "B"):
        with pytest.raises(ScoringError, match="二选一"):
            score_evaluation(form, variant, scores)


def test_no_variant_chosen_is_refused():
    form = FORM
    with pytest.raises(ScoringError, match="请选择考评对象"):
        score_evaluation(form, None, full_scores(form))
    with pytest.raises(ScoringError, match="请选择考评对象"):
        score_evaluation(form, "C", full_scores(form))


def test_the_other_variant_left_empty_is_fine():
    form = FORM
    scores = {str(k): str(v) for k, v in full_scores(form, "B").items()}
    scores.update({str(i.id): "" for i in scoring.form_sections(form)["A"]})
    assert score_evaluation(form, "B", scores).total == 100


def test_an_item_of_another_form_is_refused():
    form = FORM
    scores = full_scores(form)
    scores[999999] = 5
    with pytest.raises(ScoringError, match="不属于第1版评价表"):
        score_evaluation(form, "A", scores)


@pytest.mark.parametrize("variant,taken_off,total", [
    ("A", {}, 100),
    ("A", {1: 5}, 95),
    ("A", {2: 3, 10: 4, 14: 10}, 83),
    ("B", {11: 10, 15: 5}, 85),
])
def test_the_total_is_the_sum_of_the_scores(variant, taken_off, total):
    form = FORM
    scores = full_scores(form, variant)
    for number, points in taken_off.items():
        scores[item_at(form, number, variant).id] -= points
    assert score_evaluation(form, variant, scores).total == total


def test_all_zero_totals_zero():
    form = FORM
    assert score_evaluation(form, "B", {k: 0 for k in full_scores(form, "B")}).total == 0


def test_every_problem_of_a_sheet_is_reported_at_once():
    form = FORM
    scores = full_scores(form)
    scores[item_at(form, 1).id] = 6
    scores[item_at(form, 2).id] = -2
    scores[item_at(form, 8).id] = "x"
    with pytest.raises(ScoringError) as err:
        score_evaluation(form, "A", scores)
    assert [p[:3] for p in err.value.problems] == ["第1项", "第2项", "第8项"]
