"""Form definitions (SPEC §3.19): the check of a definition in Chinese naming section and field,
publishing, a published version that never changes, drafts, retiring and deleting."""
import pytest

from app.extensions import db
from app.services.forms import definitions, editing
from app.services.forms.definitions import DefinitionError
from tests.forms.conftest import service_record_form


def test_a_new_form_starts_as_a_draft_with_one_section(app):
    form = definitions.create_form("专家现场服务记录", purpose="expert", fill_roles=["town"])
    version = definitions.draft_of(form)
    assert (version.number, version.state, [s.title for s in version.sections]) == (1, "draft", ["基本信息"])
    assert definitions.current_version(form) is None
    assert definitions.definition_problems(version) == ["“基本信息”还没有题目"]


@pytest.mark.parametrize("title,purpose,roles,public,message", [
    ("", "none", ["town"], False, "请填写表单名称"),
    ("表", "nothing", ["town"], False, "请选择表单关联的对象"),
    ("表", "none", [], False, "请选择谁可以填写"),
    ("表", "none", ["hacker"], False, "未知的填报角色：hacker"),
])
def test_a_form_needs_a_name_a_purpose_and_who_fills_it(app, title, purpose, roles, public, message):
    with pytest.raises(DefinitionError, match=message):
        definitions.create_form(title, purpose=purpose, fill_roles=roles, public=public)


def test_the_built_form_passes_the_check_and_is_published(app):
    form = service_record_form()
    version = definitions.current_version(form)
    assert version.state == "published" and version.published_at is not None
    assert definitions.definition_problems(version) == []
    assert [f.kind for f in version.fields] == ["text", "textarea", "date", "time", "yesno", "photo", "integer",
                                                "choice", "multi", "score", "score", "signature"]


def test_a_section_whose_maxima_do_not_add_up_is_named_with_both_figures(app):
    form = service_record_form(publish=False)
    version = definitions.draft_of(form)
    editing.update_field(version.sections[1].fields[1], {"label": "服务态度", "kind": "score", "max_value": "5",
                                                              "required": True})
    problems = definitions.definition_problems(version)
    assert "服务评价各项满分合计应为20分，现为15分" in problems
    assert "表单满分应为20分，现为15分" in problems
    with pytest.raises(DefinitionError, match="服务评价各项满分合计应为20分，现为15分"):
        definitions.publish(version)
    assert version.state == "draft"


@pytest.mark.parametrize("raw,message", [
    ({"label": "", "kind": "text"}, "“服务评价”有一项未填写题目名称"),
    ({"label": "总体评价", "kind": "score", "max_value": ""}, "“服务评价”的“总体评价”满分须为正整数"),
    ({"label": "总体评价", "kind": "score", "max_value": "五"},
     "“服务评价”的“总体评价”满分或最大值须为整数，“五”不是整数"),
    ({"label": "结论", "kind": "choice", "options": "合格"}, "“服务评价”的“结论”至少需要两个选项（每行一个）"),
    ({"label": "结论", "kind": "choice", "options": "合格\n合格"}, "“服务评价”的“结论”有重复的选项"),
    ({"label": "人数", "kind": "integer", "min_value": "5", "max_value": "2"}, "“服务评价”的“人数”最小值5大于最大值2"),
    ({"label": "说明", "kind": "textarea", "max_length": "9000"}, "“服务评价”的“说明”最多字数应在1至5000之间"),
    ({"label": "说明", "kind": "video"}, "“服务评价”的“说明”请选择题目类型"),
])
def test_a_field_that_makes_no_sense_is_refused_when_saved_naming_section_and_field(app, raw, message):
    form = service_record_form(publish=False)
    section = definitions.draft_of(form).sections[1]
    before = len(section.fields)
    with pytest.raises(DefinitionError) as err:
        editing.add_field(section, raw)
    assert message in err.value.problems
    assert len(section.fields) == before


def test_alternatives_need_two_sections_next_to_each_other_with_equal_maxima(app):
    form = service_record_form(publish=False)
    version = definitions.draft_of(form)
    scores = version.sections[1]
    editing.update_section(scores, title="配合工作", points="20", choice_group="考评对象")
    assert "“考评对象”只有一个部分：多选一至少需要两个可选部分" in definitions.definition_problems(version)
    other = editing.add_section(version, title="服务质量", points="10", choice_group="考评对象")
    editing.add_field(other, {"label": "及时复查", "kind": "score", "max_value": "10"})
    problems = definitions.definition_problems(version)
    assert "“考评对象”的各个可选部分应排在一起" in problems
    assert "“考评对象”的各个可选部分满分应相同（配合工作20分、服务质量10分）" in problems
    editing.move_section(other, -1)
    editing.update_section(other, title="服务质量", points="20", choice_group="考评对象")
    editing.update_field(other.fields[0], {"label": "及时复查", "kind": "score", "max_value": "20"})
    assert definitions.definition_problems(version) == []


def test_a_published_version_never_changes_and_a_revision_is_a_new_draft(app):
    form = service_record_form()
    v1 = definitions.current_version(form)
    with pytest.raises(DefinitionError, match="已发布的版本不能修改"):
        editing.add_field(v1.sections[0], {"label": "新题", "kind": "text"})
    with pytest.raises(DefinitionError, match="已发布的版本不能修改"):
        definitions.update_version(v1, title="改名")
    v2 = definitions.start_draft(form)
    assert (v2.number, v2.state) == (2, "draft") and definitions.start_draft(form) is v2
    assert [f.label for f in v2.fields] == [f.label for f in v1.fields]
    editing.update_field(v2.fields[0], {"label": "服务企业名称", "kind": "text", "required": True})
    definitions.publish(v2)
    assert definitions.current_version(form) is v2
    assert v1.fields[0].label == "服务单位"  # the old version is as it was


def test_a_form_with_submissions_is_retired_not_deleted(app, town):
    from app.services.forms.submissions import Subject, save_submission
    from app.services.forms.validation import Filled
    from tests import factories
    from tests.forms.conftest import good_values

    form = service_record_form()
    values, files = good_values(definitions.current_version(form))
    save_submission(form, Filled(values=values, files=files), by=town,
                    subject=Subject(expert_id=factories.appointed_expert().id))
    with pytest.raises(DefinitionError, match="该表单已有1份填报记录，不能删除，只能停用"):
        definitions.delete_form(form)
    definitions.retire_form(form)
    assert not definitions.may_fill(form, town)
    definitions.reinstate_form(form)
    assert definitions.may_fill(form, town)


def test_an_unfilled_form_can_be_deleted(app):
    form = service_record_form()
    form_id = form.id
    definitions.delete_form(form)
    assert db.session.get(type(form), form_id) is None


def test_the_software_own_fields_and_sections_stay(app):
    annex5 = definitions.form_by_code("annex5")
    draft = definitions.start_draft(annex5)
    by_key = {f.key: f for f in draft.fields}
    with pytest.raises(DefinitionError, match="系统必需的题目，不能删除"):
        editing.remove_field(by_key["enterprise_name"])
    with pytest.raises(DefinitionError, match="类型不能改为"):
        editing.update_field(by_key["evaluated_on"], {"label": "考评时间", "kind": "text"})
    with pytest.raises(DefinitionError, match="含有系统必需的内容"):
        editing.remove_section(next(s for s in draft.sections if s.key == "B"))
    with pytest.raises(DefinitionError, match="系统表单不能删除"):
        definitions.delete_form(annex5)
    with pytest.raises(DefinitionError, match="系统表单的关联对象和填报人由办法规定"):
        definitions.update_form(annex5, title=annex5.title, purpose="none", fill_roles=["town"], fill_unit_ids=[],
                                public=False)
    editing.update_field(by_key["enterprise_name"], {"label": "被服务企业名称", "kind": "text", "required": True})
    assert definitions.definition_problems(draft) == []


def test_who_may_fill_by_role_and_unit(app):
    from tests import factories

    mine = factories.org_unit(name="湖塘镇", kind="town")
    form = definitions.create_form("问卷", fill_roles=["town"], fill_unit_ids=[str(mine.id)])
    assert definitions.may_fill(form, factories.user(role="town", org_unit_=mine))
    assert not definitions.may_fill(form, factories.user(role="town"))
    assert not definitions.may_fill(form, factories.user(role="department"))
    public = definitions.create_form("意见征集", public=True)
    assert definitions.may_fill(public, None) and public.public_token


def test_score_numbers_run_on_through_sections_and_restart_in_each_alternative(app):
    version = definitions.current_version(definitions.form_by_code("annex5"))
    numbers = definitions.numbering(version)
    by_section = {s.key: [numbers[f.id] for f in s.fields] for s in version.sections if s.key in ("required", "A", "B")}
    assert by_section == {"required": list(range(1, 8)), "A": list(range(8, 16)), "B": list(range(8, 16))}
