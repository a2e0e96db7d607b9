"""the form engine: forms, versions, sections, fields, submissions, answers; 附件5 moves onto it

The 附件5 form versions (eval_form/eval_item) become versions of the form definition
``annex5`` (the header fields, 必填项, the alternatives A and B of the group 考评对象 and
意见和建议, with the optional 考评人员（签字） signature the new version 1 has); every
evaluation gets a form_submission on its own version holding its header texts, its scores
with their 发现问题 and its 意见和建议, with the same total and variant. The evaluation row
keeps the figures the rules read (unit, expert, job, 考评时间, total, variant, service
quality) and points at its submission and version. The current version stays the one new
evaluations used: the engine's current version is the highest-numbered one, so when an
earlier version had been made current again it is published once more as the newest.

Revision ID: 0016_forms_engine
Revises: 0003
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0016_forms_engine'
down_revision = '0020_audit_client_addr'
branch_labels = None
depends_on = None


# Frozen copies, as of this migration, of the definitions the app seeds
# (app/services/forms/builtin.py, printables/eval_form_v1.py).
HEADER = [
    ("enterprise_name", "企业名称", "text", 200, True, "", False),
    ("matter", "考评事项", "text", 200, True, "如：执法检查、隐患排查", False),
    ("evaluator_name", "考评人员", "text", 50, True, "", False),
    ("evaluator_signature", "考评人员（签字）", "signature", None, False, "用手指在框内签名", False),
    ("evaluated_on", "考评时间", "date", None, True, "填写检查当日日期", True),
]
SECTION_TITLES = {"required": "必填项", "A": "配合区、镇开展安全生产工作情况考评", "B": "对企业开展业务服务质量考评"}
KEY_PREFIX = {"required": "R", "A": "A", "B": "B"}
INSTRUCTIONS = "\n".join([
    "此表用于考评专家配合区、镇开展检查等工作情况和专家个人或在技术服务机构任职的专家"
    "日常开展的业务服务质量，共计15项100分，请根据实际考评对象如实填写，及时报基础科存档；",
    "考评时间填写检查当日时间；",
    "填写此表时，应结合企业反馈及现场检查结果；",
    "区、镇两级对专家服务质量考评比例不低于年度执法计划的20%；",
    "区、镇两级对专家考评每人次填写一份，请局科室、大队于每月底前将评价表纸质稿报基础科，"
    "各镇、开发区、街道在每季度最后一个月的25日前将评价表电子版发送至基础科。",
])
GROUP = "考评对象"

meta = sa.MetaData()
eval_form = sa.Table("eval_form", meta, sa.Column("id", sa.Integer), sa.Column("version", sa.Integer),
                     sa.Column("title", sa.String), sa.Column("is_current", sa.Boolean), sa.Column("note", sa.Text),
                     sa.Column("created_by_id", sa.Integer), sa.Column("created_at", sa.DateTime(timezone=True)))
eval_item = sa.Table("eval_item", meta, sa.Column("id", sa.Integer), sa.Column("form_id", sa.Integer),
                     sa.Column("section", sa.String), sa.Column("position", sa.Integer), sa.Column("text", sa.Text),
                     sa.Column("max_score", sa.Integer))
eval_score = sa.Table("eval_score", meta, sa.Column("id", sa.Integer), sa.Column("evaluation_id", sa.Integer),
                      sa.Column("item_id", sa.Integer), sa.Column("score", sa.Integer), sa.Column("problem", sa.Text))
evaluation = sa.Table("evaluation", meta, *[sa.Column(n, sa.Integer) for n in (
    "id", "form_id", "expert_id", "enterprise_id", "assignment_id", "evaluator_id", "unit_id", "total",
    "submission_id", "version_id")], sa.Column("client_uuid", sa.String), sa.Column("variant", sa.String),
    sa.Column("enterprise_name", sa.String), sa.Column("matter", sa.String), sa.Column("evaluator_name", sa.String),
    sa.Column("evaluated_on", sa.Date), sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("is_paper", sa.Boolean), sa.Column("suggestions", sa.Text))
form_definition = sa.Table("form_definition", meta, sa.Column("id", sa.Integer), sa.Column("code", sa.String),
                           sa.Column("title", sa.String), sa.Column("purpose", sa.String),
                           sa.Column("fill_roles", sa.JSON), sa.Column("fill_unit_ids", sa.JSON),
                           sa.Column("public", sa.Boolean))
form_version = sa.Table("form_version", meta, *[sa.Column(n, sa.Integer) for n in (
    "id", "form_id", "number", "total_max", "created_by_id", "published_by_id")], sa.Column("state", sa.String),
    sa.Column("title", sa.String), sa.Column("intro", sa.Text), sa.Column("instructions", sa.Text),
    sa.Column("total_label", sa.String), sa.Column("note", sa.Text),
    sa.Column("published_at", sa.DateTime(timezone=True)))
form_section = sa.Table("form_section", meta, *[sa.Column(n, sa.Integer) for n in (
    "id", "version_id", "position", "points")], sa.Column("key", sa.String), sa.Column("title", sa.String),
    sa.Column("help", sa.Text), sa.Column("choice_group", sa.String))
form_field = sa.Table("form_field", meta, *[sa.Column(n, sa.Integer) for n in (
    "id", "section_id", "position", "max_length", "min_value", "max_value")], sa.Column("key", sa.String),
    sa.Column("label", sa.String), sa.Column("kind", sa.String), sa.Column("help", sa.Text),
    sa.Column("required", sa.Boolean), sa.Column("options", sa.JSON), sa.Column("note_label", sa.String),
    sa.Column("no_future", sa.Boolean))
form_submission = sa.Table("form_submission", meta, *[sa.Column(n, sa.Integer) for n in (
    "id", "form_id", "version_id", "assignment_id", "expert_id", "enterprise_id", "unit_id", "submitted_by_id",
    "total")], sa.Column("client_uuid", sa.String), sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("is_paper", sa.Boolean), sa.Column("choices", sa.JSON))
form_answer = sa.Table("form_answer", meta, *[sa.Column(n, sa.Integer) for n in (
    "id", "submission_id", "field_id", "number")], sa.Column("text", sa.Text), sa.Column("note", sa.Text))


def _insert(bind, table, **values) -> int:
    return bind.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()


def _copy_version(bind, form_id, number, title, note, created_by_id, published_at, items):
    """One published version of annex5 with ``items`` [(section, text, max)...]; returns
    (version id, {old item id or (section, n): field id}, {header key: field id})."""
    version_id = _insert(bind, form_version, form_id=form_id, number=number, state="published", title=title,
                         instructions=INSTRUCTIONS, total_max=100, total_label="总分", note=note,
                         created_by_id=created_by_id, published_at=published_at)
    header_section = _insert(bind, form_section, version_id=version_id, position=1, key="header", title="基本信息")
    header = {}
    for i, (key, label, kind, max_length, required, help, no_future) in enumerate(HEADER, start=1):
        header[key] = _insert(bind, form_field, section_id=header_section, position=i, key=key, label=label, kind=kind,
                              max_length=max_length, required=required, help=help or None, no_future=no_future)
    fields = {}
    for position, key in enumerate(("required", "A", "B"), start=2):
        rows = [row for row in items if row[1] == key]
        section_id = _insert(bind, form_section, version_id=version_id, position=position, key=key,
                             title=SECTION_TITLES[key], points=sum(r[3] for r in rows),
                             choice_group=GROUP if key != "required" else None)
        for n, (item_id, _section, text, maximum) in enumerate(rows, start=1):
            fields[item_id] = _insert(bind, form_field, section_id=section_id, position=n, key=f"{KEY_PREFIX[key]}{n}",
                                      label=text, kind="score", max_value=maximum, required=True,
                                      note_label="发现问题", no_future=False)
    opinion = _insert(bind, form_section, version_id=version_id, position=5, key="opinion", title="意见和建议")
    header["suggestions"] = _insert(bind, form_field, section_id=opinion, position=1, key="suggestions",
                                    label="意见和建议", kind="textarea", max_length=2000, required=False,
                                    no_future=False)
    return version_id, fields, header


def _move_evaluations(bind) -> None:
    forms = bind.execute(sa.select(eval_form).order_by(eval_form.c.version)).all()
    if not forms:
        return  # a fresh database: the app seeds annex5 (ensure_reference_data)
    form_id = _insert(bind, form_definition, code="annex5", title=forms[0].title, purpose="expert",
                      fill_roles=["office", "department", "town"], fill_unit_ids=[], public=False)
    versions, field_maps, header_maps = {}, {}, {}
    items_of = {}
    for f in forms:
        items = bind.execute(sa.select(eval_item.c.id, eval_item.c.section, eval_item.c.text, eval_item.c.max_score)
                             .where(eval_item.c.form_id == f.id).order_by(eval_item.c.position)).all()
        items_of[f.id] = [tuple(r) for r in items]
        versions[f.id], field_maps[f.id], header_maps[f.id] = _copy_version(
            bind, form_id, f.version, f.title, f.note, f.created_by_id, f.created_at, items_of[f.id])
    current = next((f for f in forms if f.is_current), forms[-1])
    if current.id != forms[-1].id:
        _copy_version(bind, form_id, forms[-1].version + 1, current.title,
                      f"第{current.version}版重新启用（数据迁移）", current.created_by_id, dt.datetime.now(dt.UTC),
                      items_of[current.id])
    scores = {}
    for row in bind.execute(sa.select(eval_score)):
        scores.setdefault(row.evaluation_id, []).append(row)
    for ev in bind.execute(sa.select(evaluation)).all():
        submission_id = _insert(
            bind, form_submission, client_uuid=ev.client_uuid, form_id=form_id, version_id=versions[ev.form_id],
            assignment_id=ev.assignment_id, expert_id=ev.expert_id, enterprise_id=ev.enterprise_id, unit_id=ev.unit_id,
            submitted_by_id=ev.evaluator_id, submitted_at=ev.submitted_at, is_paper=ev.is_paper, total=ev.total,
            choices={GROUP: ev.variant})
        header = header_maps[ev.form_id]
        texts = {"enterprise_name": ev.enterprise_name, "matter": ev.matter, "evaluator_name": ev.evaluator_name,
                 "evaluated_on": ev.evaluated_on.isoformat() if ev.evaluated_on else None,
                 "suggestions": ev.suggestions}
        rows = [{"submission_id": submission_id, "field_id": header[k], "text": v, "number": None, "note": None}
                for k, v in texts.items() if v]
        rows += [{"submission_id": submission_id, "field_id": field_maps[ev.form_id][s.item_id], "text": None,
                  "number": s.score, "note": s.problem} for s in scores.get(ev.id, [])]
        if rows:
            bind.execute(form_answer.insert(), rows)
        bind.execute(evaluation.update().where(evaluation.c.id == ev.id)
                     .values(submission_id=submission_id, version_id=versions[ev.form_id]))


def upgrade():
    op.create_table('form_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('fill_roles', sa.JSON(), nullable=False),
    sa.Column('fill_unit_ids', sa.JSON(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('public_token', sa.String(length=64), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('public_token')
    )
    op.create_table('form_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('intro', sa.Text(), nullable=True),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.Column('total_max', sa.Integer(), nullable=True),
    sa.Column('total_label', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['form_id'], ['form_definition.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_id', 'number')
    )
    with op.batch_alter_table('form_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_version_form_id'), ['form_id'], unique=False)

    op.create_table('form_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('help', sa.Text(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('choice_group', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['form_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'key')
    )
    with op.batch_alter_table('form_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_section_version_id'), ['version_id'], unique=False)

    op.create_table('form_field',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('help', sa.Text(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('max_length', sa.Integer(), nullable=True),
    sa.Column('min_value', sa.Integer(), nullable=True),
    sa.Column('max_value', sa.Integer(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.Column('note_label', sa.String(length=20), nullable=True),
    sa.Column('no_future', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['form_section.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('form_field', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_field_section_id'), ['section_id'], unique=False)

    op.create_table('form_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=64), nullable=True),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_paper', sa.Boolean(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], ),
    sa.ForeignKeyConstraint(['form_id'], ['form_definition.id'], ),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['form_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_uuid')
    )
    with op.batch_alter_table('form_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submission_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submission_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submission_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submission_form_id'), ['form_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submission_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submission_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submission_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submission_version_id'), ['version_id'], unique=False)

    op.create_table('form_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('file_path', sa.String(length=255), nullable=True),
    sa.Column('signed_by', sa.String(length=50), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['field_id'], ['form_field.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['form_submission.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_id', 'field_id')
    )
    with op.batch_alter_table('form_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_answer_field_id'), ['field_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_answer_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('version_id', sa.Integer(), nullable=True))
    _move_evaluations(op.get_bind())

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The FK to eval_form and the index go with the column.
        op.drop_column('evaluation', 'form_id')
        op.drop_column('evaluation', 'suggestions')
        op.alter_column('evaluation', 'submission_id', nullable=False)
        op.alter_column('evaluation', 'version_id', nullable=False)
        op.create_index(op.f('ix_evaluation_version_id'), 'evaluation', ['version_id'], unique=False)
        op.create_unique_constraint('evaluation_submission_id_key', 'evaluation', ['submission_id'])
        op.create_foreign_key('evaluation_version_id_fkey', 'evaluation', 'form_version', ['version_id'], ['id'])
        op.create_foreign_key('evaluation_submission_id_fkey', 'evaluation', 'form_submission', ['submission_id'],
                              ['id'])
    else:
        # SQLite rebuilds the table (its FK to eval_form goes with the column).
        with op.batch_alter_table('evaluation', schema=None, recreate='always') as batch_op:
            batch_op.drop_index(batch_op.f('ix_evaluation_form_id'))
            batch_op.drop_column('suggestions')
            batch_op.drop_column('form_id')
            batch_op.alter_column('submission_id', existing_type=sa.Integer(), nullable=False)
            batch_op.alter_column('version_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f('ix_evaluation_version_id'), ['version_id'], unique=False)
            batch_op.create_unique_constraint('uq_evaluation_submission_id', ['submission_id'])
            batch_op.create_foreign_key('fk_evaluation_version_id', 'form_version', ['version_id'], ['id'])
            batch_op.create_foreign_key('fk_evaluation_submission_id', 'form_submission', ['submission_id'], ['id'])

    with op.batch_alter_table('eval_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_score_evaluation_id'))

    op.drop_table('eval_score')
    with op.batch_alter_table('eval_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_item_form_id'))

    op.drop_table('eval_item')
    op.drop_table('eval_form')


def _move_back(bind) -> None:
    """附件5's versions back into eval_form/eval_item and its submissions into eval_score
    (every other form, and the signatures, have no place there and are dropped)."""
    annex5 = bind.execute(sa.select(form_definition.c.id).where(form_definition.c.code == "annex5")).scalar()
    if annex5 is None:
        return
    versions = bind.execute(sa.select(form_version).where(form_version.c.form_id == annex5,
                                                         form_version.c.state == "published")
                            .order_by(form_version.c.number)).all()
    form_ids, item_ids = {}, {}
    for v in versions:
        form_ids[v.id] = _insert(bind, eval_form, version=v.number, title=v.title, note=v.note,
                                 is_current=v.id == versions[-1].id, created_by_id=v.created_by_id,
                                 created_at=v.published_at or dt.datetime.now(dt.UTC))
        rows = bind.execute(sa.select(form_field.c.id, form_field.c.label, form_field.c.max_value, form_section.c.key)
                            .join(form_section, form_section.c.id == form_field.c.section_id)
                            .where(form_section.c.version_id == v.id, form_field.c.kind == "score")
                            .order_by(form_section.c.position, form_field.c.position)).all()
        for n, row in enumerate(rows, start=1):
            item_ids[row.id] = _insert(bind, eval_item, form_id=form_ids[v.id], section=row.key, position=n,
                                       text=row.label, max_score=row.max_value)
    suggestions = dict(bind.execute(
        sa.select(form_answer.c.submission_id, form_answer.c.text)
        .join(form_field, form_field.c.id == form_answer.c.field_id).where(form_field.c.key == "suggestions")).all())
    for ev in bind.execute(sa.select(evaluation.c.id, evaluation.c.submission_id, evaluation.c.version_id)).all():
        bind.execute(evaluation.update().where(evaluation.c.id == ev.id)
                     .values(form_id=form_ids.get(ev.version_id), suggestions=suggestions.get(ev.submission_id)))
        scores = bind.execute(sa.select(form_answer.c.field_id, form_answer.c.number, form_answer.c.note)
                              .where(form_answer.c.submission_id == ev.submission_id,
                                     form_answer.c.field_id.in_(list(item_ids) or [-1]))).all()
        if scores:
            bind.execute(eval_score.insert(), [{"evaluation_id": ev.id, "item_id": item_ids[s.field_id],
                                                "score": s.number, "problem": s.note} for s in scores])


def downgrade():
    op.create_table('eval_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version')
    )
    op.create_table('eval_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('max_score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['eval_form.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('eval_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_item_form_id'), ['form_id'], unique=False)
    op.create_table('eval_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['eval_item.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('evaluation_id', 'item_id')
    )
    with op.batch_alter_table('eval_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_score_evaluation_id'), ['evaluation_id'], unique=False)
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('suggestions', sa.Text(), nullable=True))
    _move_back(op.get_bind())
    # SQLite must copy the table to drop the columns' constraints; PostgreSQL alters it in
    # place (a copy could not drop the original, which violation and eval_score reference).
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table('evaluation', schema=None, recreate='auto' if postgresql else 'always') as batch_op:
        if postgresql:
            batch_op.drop_constraint('evaluation_submission_id_fkey', type_='foreignkey')
            batch_op.drop_constraint('evaluation_version_id_fkey', type_='foreignkey')
            batch_op.drop_constraint('evaluation_submission_id_key', type_='unique')
        batch_op.drop_index(batch_op.f('ix_evaluation_version_id'))
        batch_op.drop_column('version_id')
        batch_op.drop_column('submission_id')
        batch_op.alter_column('form_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_evaluation_form_id'), ['form_id'], unique=False)
        batch_op.create_foreign_key('fk_evaluation_form_id', 'eval_form', ['form_id'], ['id'])
    for table in ('form_answer', 'form_submission', 'form_field', 'form_section', 'form_version', 'form_definition'):
        op.drop_table(table)
