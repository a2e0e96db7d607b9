"""registry fields marked personal data: their values encrypted at rest (SPEC §3.20)

- ``expert_field_value.sealed``: the value of a field the office marked personal data, as
  SM4-GCM ciphertext under the installation's data key (context
  ``expert_field_value.sealed``), like ID numbers and phones; ``value`` is then empty.
- Existing values of such fields are moved and encrypted in place, in batches; values of
  other fields stay as they are (the list filters search them).

Downgrading decrypts them back into ``value`` and drops the column.

Revision ID: 0021_sealed_field_values
Revises: 0017_enterprise_voice
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_sealed_field_values'
down_revision = '0017_enterprise_voice'
branch_labels = None
depends_on = None

CONTEXT = 'expert_field_value.sealed'
BATCH = 500
# models.base.stored_length(2000), frozen here: 16 + ceil((28 + 4 n) / 3) * 4
STORED_LENGTH = 16 + -(-(28 + 4 * 2000) // 3) * 4

_VALUES = sa.table('expert_field_value', sa.column('id', sa.Integer), sa.column('field_key', sa.String),
                   sa.column('value', sa.Text), sa.column('sealed', sa.String))


def _personal_keys(connection) -> list[str]:
    """Keys of the registry form's fields marked personal data, in any of its versions."""
    field = sa.table('form_field', sa.column('key', sa.String), sa.column('personal', sa.Boolean),
                     sa.column('section_id', sa.Integer))
    section = sa.table('form_section', sa.column('id', sa.Integer), sa.column('version_id', sa.Integer))
    version = sa.table('form_version', sa.column('id', sa.Integer), sa.column('form_id', sa.Integer))
    form = sa.table('form_definition', sa.column('id', sa.Integer), sa.column('code', sa.String))
    return list(connection.scalars(
        sa.select(field.c.key).distinct()
        .join(section, section.c.id == field.c.section_id)
        .join(version, version.c.id == section.c.version_id)
        .join(form, form.c.id == version.c.form_id)
        .where(form.c.code == 'registry', field.c.personal.is_(True))))


def _move(sealing: bool) -> None:
    """Encrypt (or decrypt) the personal fields' values, batch by batch in key order; a row
    already in the wanted column is left alone, so the step can be repeated."""
    from app import crypto

    connection = op.get_bind()
    keys = _personal_keys(connection)
    if not keys:
        return
    ring = crypto.keyring()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(_VALUES.c.id, _VALUES.c.value, _VALUES.c.sealed)
            .where(_VALUES.c.id > last, _VALUES.c.field_key.in_(keys)).order_by(_VALUES.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1][0]
        for row_id, value, sealed in rows:
            if sealing and sealed is None:
                changes = {'sealed': ring.encrypt(value, CONTEXT), 'value': ''}
            elif not sealing and sealed is not None:
                changes = {'value': ring.decrypt(sealed, CONTEXT), 'sealed': None}
            else:
                continue
            connection.execute(sa.update(_VALUES).where(_VALUES.c.id == row_id).values(**changes))


def upgrade():
    with op.batch_alter_table('expert_field_value') as batch_op:
        batch_op.add_column(sa.Column('sealed', sa.String(length=STORED_LENGTH), nullable=True))
    _move(sealing=True)


def downgrade():
    _move(sealing=False)
    with op.batch_alter_table('expert_field_value') as batch_op:
        batch_op.drop_column('sealed')
