"""the enterprise's voice after a job, and registry fields the office adds (issue 17)

- ``expert_field_value``: one value of an office-defined registry field (form ``registry``)
  per expert, keyed by the field's key so that a retired field keeps its values.
- ``form_field.public_field`` / ``personal``: a registry field shown on /apply; a registry
  field holding personal data (masked like ID numbers). Existing fields: both false.
- ``complaint.followup_id``: the enterprise follow-up (企业回访) that opened the complaint.

Revision ID: 0017_enterprise_voice
Revises: 0012_login_security
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_enterprise_voice'
down_revision = '0018_personal_data_sm4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'expert_field_value',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('field_key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('expert_id', 'field_key'),
    )
    with op.batch_alter_table('expert_field_value') as batch:
        batch.create_index(batch.f('ix_expert_field_value_expert_id'), ['expert_id'], unique=False)
        batch.create_index(batch.f('ix_expert_field_value_field_key'), ['field_key'], unique=False)
    with op.batch_alter_table('form_field') as batch:
        batch.add_column(sa.Column('public_field', sa.Boolean(), server_default='0', nullable=False))
        batch.add_column(sa.Column('personal', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('complaint') as batch:
        batch.add_column(sa.Column('followup_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_complaint_followup_id'), ['followup_id'], unique=False)
        batch.create_foreign_key('fk_complaint_followup_id', 'form_submission', ['followup_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('complaint') as batch:
        batch.drop_constraint('fk_complaint_followup_id', type_='foreignkey')
        batch.drop_index(batch.f('ix_complaint_followup_id'))
        batch.drop_column('followup_id')
    with op.batch_alter_table('form_field') as batch:
        batch.drop_column('personal')
        batch.drop_column('public_field')
    op.drop_table('expert_field_value')
