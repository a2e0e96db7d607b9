"""Form definitions: forms, versions, sections and fields, and the check of a definition (SPEC §3.19).

A form (:class:`~models.FormDefinition`) has numbered versions. The office edits a *draft*:
adds, reorders, edits and removes sections and fields; the draft is checked on every save
and once more when it is published. A published version never changes: a revision is a new
draft copied from the current version (:func:`start_draft`). The current version is the
highest-numbered published one; a retired form takes no new submissions, and a form that
has submissions cannot be deleted, only retired.

The rules of a definition (:func:`definition_problems`), each reported in Chinese naming the
section and the field:

- every field has a wording, a known type and limits that make sense for its type (a score
  has a positive maximum; a choice has at least two distinct options; …);
- a section with stated points: its scores' maxima add up to them
  ("对企业开展业务服务质量考评各项满分合计应为50分，现为45分");
- sections sharing a ``choice_group`` are alternatives of which exactly one is filled: at
  least two, next to each other, with equal maxima when the form has a total;
- the form's total (``total_max``): required sections plus one alternative of each group add
  up to it, whichever alternative is chosen;
- the forms the software relies on (附件5, the 回执) keep the fields and sections it reads.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.services.errors import DomainError
from models import FormDefinition, FormField, FormSection, FormSubmission, FormVersion, User
from models.choices import FIELD_KINDS, FORM_PURPOSES, ROLES

# Roles that fill forms on the phone or in the admin; the expert fills his own.
FILL_ROLES = ("office", "department", "town", "leader", "expert")
TEXT_DEFAULT, TEXT_LIMIT = 200, 500
TEXTAREA_DEFAULT, TEXTAREA_LIMIT = 2000, 5000
SCORE_LIMIT = 1000
NUMBER_LIMIT = 10**9
MAX_OPTIONS = 30
OPTION_LENGTH = 50
LABEL_LENGTH = 200
HELP_LENGTH = 500
TITLE_LENGTH = 100
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")

# Fields and sections the code reads on its own forms: key -> kind. The office may reword
# them and add others, but not remove them or change their kind.
SYSTEM_FIELDS: dict[str, dict[str, str]] = {
    "annex5": {"enterprise_name": "text", "matter": "text", "evaluator_name": "text", "evaluated_on": "date",
               "suggestions": "textarea"},
    "receipt": {"signer_name": "text", "signature": "signature"},
    "followup": {"punctuality": "score", "professionalism": "score", "fee_asked": "yesno", "comment": "textarea",
                 "contact": "text"},
}
SYSTEM_SECTIONS: dict[str, tuple[str, ...]] = {"annex5": ("A", "B")}


class DefinitionError(DomainError):
    """A refused change of a definition; ``problems`` lists every reason, in Chinese."""

    def __init__(self, problems: list[str], headline: str = "表单未保存："):
        self.problems = list(problems)
        super().__init__(headline + "；".join(self.problems) + "。")


# --- reading ----------------------------------------------------------------------------------


def current_version(form: FormDefinition) -> FormVersion | None:
    """The version new submissions use: the highest-numbered published one."""
    published = [v for v in form.versions if v.state == "published"]
    return max(published, key=lambda v: v.number) if published else None


def draft_of(form: FormDefinition) -> FormVersion | None:
    """The draft being edited, if there is one (a form has at most one)."""
    return next((v for v in form.versions if v.state == "draft"), None)


def form_by_code(code: str) -> FormDefinition:
    """One of the forms the software relies on (``annex5``, ``receipt``)."""
    form = db.session.scalar(select(FormDefinition).where(FormDefinition.code == code))
    if form is None:
        raise DomainError("系统中还没有该表单，请联系系统管理员初始化基础数据。")
    return form


def submission_count(form: FormDefinition) -> int:
    return db.session.scalar(select(func.count()).select_from(FormSubmission)
                             .where(FormSubmission.form_id == form.id)) or 0


def version_submission_count(version: FormVersion) -> int:
    return db.session.scalar(select(func.count()).select_from(FormSubmission)
                             .where(FormSubmission.version_id == version.id)) or 0


def choice_groups(version: FormVersion) -> list[tuple[str, list[FormSection]]]:
    """The alternative groups of a version in page order: (group label, its sections)."""
    groups: dict[str, list[FormSection]] = {}
    for section in version.sections:
        if section.choice_group:
            groups.setdefault(section.choice_group, []).append(section)
    return list(groups.items())


def numbering(version: FormVersion) -> dict[int, int]:
    """The printed 序号 of each score field: on through the sections, each alternative of a
    group numbered from the same start (附件5: 必填 1–7, A 8–15, B 8–15)."""
    numbers: dict[int, int] = {}
    n = 0
    group_start: dict[str, int] = {}
    group_end: dict[str, int] = {}
    for section in version.sections:
        if section.choice_group:
            start = group_start.setdefault(section.choice_group, n)
            k = start
            for f in section.fields:
                if f.kind == "score":
                    k += 1
                    numbers[f.id] = k
            group_end[section.choice_group] = max(group_end.get(section.choice_group, start), k)
            continue
        if group_end:
            n = max([n, *group_end.values()])
        for f in section.fields:
            if f.kind == "score":
                n += 1
                numbers[f.id] = n
    return numbers


def section_max(section: FormSection) -> int:
    """The sum of the section's score maxima."""
    return sum(f.max_value or 0 for f in section.fields if f.kind == "score")


def has_scores(version: FormVersion) -> bool:
    return any(f.kind == "score" for f in version.fields)


def may_fill(form: FormDefinition, user: User | None) -> bool:
    """Whether ``user`` may fill ``form`` (a public form: anyone with the link)."""
    if form.retired_at is not None:
        return False
    if form.public:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role not in (form.fill_roles or []):
        return False
    units = form.fill_unit_ids or []
    return not units or user.org_unit_id in units


def fillable_forms(user: User) -> list[FormDefinition]:
    """The published forms ``user`` may fill, by title (the phone's list)."""
    forms = db.session.scalars(select(FormDefinition).where(FormDefinition.retired_at.is_(None))
                               .order_by(FormDefinition.title)).all()
    return [f for f in forms if may_fill(f, user) and current_version(f) is not None]


# --- the check of a definition ------------------------------------------------------------------


def _whole(raw: Any) -> int | None:
    """``raw`` as an int when it is a plainly written whole number, else None."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if re.fullmatch(r"[+-]?\d{1,10}", text):
        return int(text)
    return None


def _where(section: FormSection | None, label: str | None = None) -> str:
    where = f"“{section.title}”" if section is not None and section.title else "本部分"
    return f"{where}的“{label}”" if label else where


def field_problems(attrs: dict[str, Any], where: str) -> list[str]:
    """Problems of one field's attributes (plain values), each naming ``where`` it is."""
    problems = []
    label = (attrs.get("label") or "").strip()
    kind = attrs.get("kind")
    if not label:
        problems.append(f"{where}有一项未填写题目名称")
    elif len(label) > LABEL_LENGTH:
        problems.append(f"{where}题目名称不能超过{LABEL_LENGTH}字")
    if kind not in FIELD_KINDS:
        problems.append(f"{where}请选择题目类型")
        return problems
    if len(attrs.get("help") or "") > HELP_LENGTH:
        problems.append(f"{where}填写说明不能超过{HELP_LENGTH}字")
    max_length = attrs.get("max_length")
    if kind in ("text", "textarea") and max_length is not None:
        limit = TEXT_LIMIT if kind == "text" else TEXTAREA_LIMIT
        if not 1 <= max_length <= limit:
            problems.append(f"{where}最多字数应在1至{limit}之间")
    lo, hi = attrs.get("min_value"), attrs.get("max_value")
    if kind == "score":
        if hi is None or hi <= 0:
            problems.append(f"{where}满分须为正整数")
        elif hi > SCORE_LIMIT:
            problems.append(f"{where}满分不能超过{SCORE_LIMIT}分")
    if kind == "integer":
        for v in (lo, hi):
            if v is not None and abs(v) > NUMBER_LIMIT:
                problems.append(f"{where}最小值、最大值超出范围")
                break
        if lo is not None and hi is not None and lo > hi:
            problems.append(f"{where}最小值{lo}大于最大值{hi}")
    if kind in ("choice", "multi"):
        options = attrs.get("options") or []
        if len(options) < 2:
            problems.append(f"{where}至少需要两个选项（每行一个）")
        elif len(options) > MAX_OPTIONS:
            problems.append(f"{where}选项不能超过{MAX_OPTIONS}个")
        if len(set(options)) != len(options):
            problems.append(f"{where}有重复的选项")
        if any(len(o) > OPTION_LENGTH for o in options):
            problems.append(f"{where}每个选项不能超过{OPTION_LENGTH}字")
    if len(attrs.get("note_label") or "") > 20:
        problems.append(f"{where}备注栏名称不能超过20字")
    return problems


def _field_attrs(field: FormField) -> dict[str, Any]:
    return {k: getattr(field, k) for k in ("label", "kind", "help", "max_length", "min_value", "max_value",
                                            "options", "note_label")}


def definition_problems(version: FormVersion) -> list[str]:
    """Everything that keeps ``version`` from being published, in Chinese (empty when none)."""
    problems: list[str] = []
    title = (version.title or "").strip()
    if not title:
        problems.append("请填写表名")
    elif len(title) > TITLE_LENGTH:
        problems.append(f"表名不能超过{TITLE_LENGTH}字")
    sections = list(version.sections)
    if not sections:
        problems.append("表单至少需要一个部分")
    keys: set[str] = set()
    for section in sections:
        if not (section.title or "").strip():
            problems.append(f"第{sections.index(section) + 1}部分未填写名称")
        if not section.fields:
            problems.append(f"{_where(section)}还没有题目")
        for field in section.fields:
            problems.extend(field_problems(_field_attrs(field), _where(section, field.label)))
            if field.key in keys:
                problems.append(f"{_where(section, field.label)}的编号{field.key}与其他题目重复")
            keys.add(field.key)
        total = section_max(section)
        if section.points is not None:
            if section.points <= 0:
                problems.append(f"{_where(section)}的分值须为正整数")
            elif total != section.points:
                problems.append(f"{section.title}各项满分合计应为{section.points}分，现为{total}分")
    problems.extend(_group_problems(version))
    problems.extend(_total_problems(version))
    problems.extend(_system_problems(version))
    return problems


def _group_problems(version: FormVersion) -> list[str]:
    problems = []
    order = [s.choice_group for s in version.sections]
    for group, sections in choice_groups(version):
        if len(sections) < 2:
            problems.append(f"“{group}”只有一个部分：多选一至少需要两个可选部分")
        positions = [i for i, g in enumerate(order) if g == group]
        if positions != list(range(positions[0], positions[0] + len(positions))):
            problems.append(f"“{group}”的各个可选部分应排在一起")
        maxima = {s.title: section_max(s) for s in sections}
        if version.total_max is not None and len(set(maxima.values())) > 1:
            problems.append(f"“{group}”的各个可选部分满分应相同（" +
                            "、".join(f"{t}{m}分" for t, m in maxima.items()) + "）")
    return problems


def _total_problems(version: FormVersion) -> list[str]:
    if version.total_max is None:
        return []
    if version.total_max <= 0:
        return ["表单满分须为正整数"]
    if not has_scores(version):
        return [f"设置了表单满分{version.total_max}分，但表中没有评分题"]
    fixed = sum(section_max(s) for s in version.sections if not s.choice_group)
    groups = choice_groups(version)
    chosen = sum(max((section_max(s) for s in sections), default=0) for _, sections in groups)
    total = fixed + chosen
    if total != version.total_max:
        detail = f"（必填部分{fixed}分" + "".join(f" + {g}{max(section_max(s) for s in ss)}分"
                                                for g, ss in groups) + "）" if groups else ""
        return [f"表单满分应为{version.total_max}分，现为{total}分{detail}"]
    return []


def _system_problems(version: FormVersion) -> list[str]:
    code = version.form.code if version.form else None
    if not code:
        return []
    problems = []
    fields = {f.key: f for f in version.fields}
    for key, kind in SYSTEM_FIELDS.get(code, {}).items():
        f = fields.get(key)
        if f is None or f.kind != kind:
            problems.append(f"本表为系统表单，缺少“{FIELD_KINDS[kind]}”类型的必需题目（{key}）")
    keys = {s.key for s in version.sections}
    for key in SYSTEM_SECTIONS.get(code, ()):
        if key not in keys:
            problems.append(f"本表为系统表单，缺少必需的部分（{key}）")
    return problems


def check_definition(version: FormVersion) -> None:
    """Raise :class:`DefinitionError` with every problem of ``version``."""
    problems = definition_problems(version)
    if problems:
        raise DefinitionError(problems, headline="表单不能发布：")


# --- forms --------------------------------------------------------------------------------------


def _clean_settings(title: str, purpose: str, fill_roles: Iterable[str], fill_unit_ids: Iterable[Any],
                    public: bool) -> tuple[str, str, list[str], list[int]]:
    problems = []
    title = " ".join((title or "").split())
    if not title:
        problems.append("请填写表单名称")
    elif len(title) > TITLE_LENGTH:
        problems.append(f"表单名称不能超过{TITLE_LENGTH}字")
    if purpose not in FORM_PURPOSES:
        problems.append("请选择表单关联的对象")
    roles = [r for r in dict.fromkeys(fill_roles or []) if r]
    unknown = [r for r in roles if r not in FILL_ROLES]
    if unknown:
        problems.append("未知的填报角色：" + "、".join(unknown))
    units = [u for u in (_whole(x) for x in fill_unit_ids or []) if u]
    if not roles and not public:
        problems.append("请选择谁可以填写（至少一个角色，或允许公众通过链接填写）")
    if problems:
        raise DefinitionError(problems)
    return title, purpose, roles, units


def create_form(title: str, *, purpose: str = "none", fill_roles: Iterable[str] = (),
                fill_unit_ids: Iterable[Any] = (), public: bool = False, by: User | None = None) -> FormDefinition:
    """A new form with an empty draft (version 1) that has one section to start from."""
    title, purpose, roles, units = _clean_settings(title, purpose, fill_roles, fill_unit_ids, public)
    form = FormDefinition(title=title, purpose=purpose, fill_roles=roles, fill_unit_ids=units, public=public,
                          public_token=secrets.token_urlsafe(24) if public else None,
                          created_by_id=by.id if by else None)
    version = FormVersion(number=1, state="draft", title=title, total_label="总分",
                          created_by_id=by.id if by else None)
    version.sections.append(FormSection(position=1, key="s1", title="基本信息"))
    form.versions.append(version)
    db.session.add(form)
    db.session.flush()
    return form


def update_form(form: FormDefinition, *, title: str, purpose: str, fill_roles: Iterable[str],
                fill_unit_ids: Iterable[Any], public: bool) -> FormDefinition:
    """Change who fills a form and what it is about. The software's own forms keep their purpose
    and fillers; a form with submissions keeps its purpose (they are attached to it)."""
    title, purpose, roles, units = _clean_settings(title, purpose, fill_roles, fill_unit_ids, public)
    if form.code and (purpose != form.purpose or roles != list(form.fill_roles or [])
                      or public != bool(form.public)):
        raise DefinitionError(["系统表单的关联对象和填报人由办法规定，不能修改"])
    if purpose != form.purpose and submission_count(form):
        raise DefinitionError(["已有填报记录，不能修改表单关联的对象"])
    form.title, form.purpose, form.fill_roles, form.fill_unit_ids = title, purpose, roles, units
    form.public = public
    if public and not form.public_token:
        form.public_token = secrets.token_urlsafe(24)
    db.session.flush()
    return form


def retire_form(form: FormDefinition) -> None:
    """Stop taking submissions; the form and its submissions stay readable and printable."""
    if form.code:
        raise DefinitionError(["系统表单不能停用"])
    form.retired_at = utcnow()
    db.session.flush()


def reinstate_form(form: FormDefinition) -> None:
    """Take submissions again."""
    form.retired_at = None
    db.session.flush()


def delete_form(form: FormDefinition) -> None:
    """Delete a form that nobody has filled yet; one with submissions can only be retired."""
    if form.code:
        raise DefinitionError(["系统表单不能删除"])
    count = submission_count(form)
    if count:
        raise DefinitionError([f"该表单已有{count}份填报记录，不能删除，只能停用"])
    db.session.delete(form)
    db.session.flush()


# --- versions -----------------------------------------------------------------------------------


def _require_draft(version: FormVersion) -> None:
    if version.state != "draft":
        raise DefinitionError(["已发布的版本不能修改：请点击“修改（生成新草稿）”"])


def spec_of(version: FormVersion) -> dict[str, Any]:
    """A version as plain data (the shape :func:`add_version` reads)."""
    return {
        "title": version.title, "intro": version.intro, "instructions": version.instructions,
        "total_max": version.total_max, "total_label": version.total_label,
        "sections": [
            {"key": s.key, "title": s.title, "help": s.help, "points": s.points, "choice_group": s.choice_group,
             "fields": [{"key": f.key, "label": f.label, "kind": f.kind, "help": f.help, "required": f.required,
                         "max_length": f.max_length, "min_value": f.min_value, "max_value": f.max_value,
                         "options": list(f.options) if f.options else None, "note_label": f.note_label,
                         "no_future": f.no_future, "public_field": f.public_field, "personal": f.personal}
                        for f in s.fields]}
            for s in version.sections
        ],
    }


def add_version(form: FormDefinition, spec: dict[str, Any], *, state: str = "draft", note: str | None = None,
                by: User | None = None) -> FormVersion:
    """A new version of ``form`` built from ``spec`` (see :func:`spec_of`), numbered next."""
    last = max((v.number for v in form.versions), default=0)
    version = FormVersion(number=last + 1, state=state, title=spec["title"], intro=spec.get("intro"),
                          instructions=spec.get("instructions"), total_max=spec.get("total_max"),
                          total_label=spec.get("total_label") or "总分", note=note,
                          created_by_id=by.id if by else None)
    for i, s in enumerate(spec["sections"], start=1):
        section = FormSection(position=i, key=s["key"], title=s["title"], help=s.get("help"), points=s.get("points"),
                              choice_group=s.get("choice_group"))
        for j, f in enumerate(s["fields"], start=1):
            section.fields.append(FormField(
                position=j, key=f["key"], label=f["label"], kind=f["kind"], help=f.get("help"),
                required=f.get("required", True), max_length=f.get("max_length"), min_value=f.get("min_value"),
                max_value=f.get("max_value"), options=f.get("options"), note_label=f.get("note_label"),
                no_future=bool(f.get("no_future")), public_field=bool(f.get("public_field")),
                personal=bool(f.get("personal")),
            ))
        version.sections.append(section)
    form.versions.append(version)
    if state == "published":
        version.published_at = utcnow()
        version.published_by_id = by.id if by else None
    db.session.flush()
    return version


def start_draft(form: FormDefinition, by: User | None = None) -> FormVersion:
    """The draft to edit: the one already open, or a copy of the current version."""
    draft = draft_of(form)
    if draft is not None:
        return draft
    if form.retired_at is not None:
        raise DefinitionError(["表单已停用，请先重新启用"])
    base = current_version(form)
    if base is None:
        raise DefinitionError(["该表单没有可复制的版本"])
    return add_version(form, spec_of(base), by=by)


def update_version(version: FormVersion, *, title: str, intro: str | None = None, instructions: str | None = None,
                   total_max: Any = None, total_label: str | None = None, note: str | None = None) -> FormVersion:
    """A draft's title, introduction, 填表说明, total and revision note."""
    _require_draft(version)
    problems = []
    title = " ".join((title or "").split())
    if not title:
        problems.append("请填写表名")
    elif len(title) > TITLE_LENGTH:
        problems.append(f"表名不能超过{TITLE_LENGTH}字")
    total = None
    if total_max not in (None, ""):
        total = _whole(total_max)
        if total is None or total <= 0:
            problems.append("表单满分须为正整数（不设满分请留空）")
    label = (total_label or "").strip() or "总分"
    if len(label) > 40:
        problems.append("合计名称不能超过40字")
    for text, what in ((intro, "表单说明"), (instructions, "填表说明"), (note, "修订说明")):
        if text and len(text) > 5000:
            problems.append(f"{what}不能超过5000字")
    if problems:
        raise DefinitionError(problems)
    version.title, version.total_max, version.total_label = title, total, label
    version.intro = (intro or "").strip() or None
    version.instructions = (instructions or "").strip() or None
    version.note = (note or "").strip() or None
    db.session.flush()
    return version


def publish(version: FormVersion, by: User | None = None) -> FormVersion:
    """Publish a draft: it becomes the version new submissions use, and never changes again."""
    _require_draft(version)
    check_definition(version)
    version.state = "published"
    version.published_at = utcnow()
    version.published_by_id = by.id if by else None
    db.session.flush()
    return version


def discard_draft(version: FormVersion) -> None:
    """Throw a draft away (version 1 of a form never published: the form goes with it)."""
    _require_draft(version)
    form = version.form
    if len(form.versions) == 1:
        delete_form(form)
        return
    form.versions.remove(version)
    db.session.flush()


def role_labels(roles: Iterable[str]) -> str:
    """``town, department`` → ``镇/开发区/街道、局科室/大队``."""
    return "、".join(ROLES.get(r, r) for r in roles)
