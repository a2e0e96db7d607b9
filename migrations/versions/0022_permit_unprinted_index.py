"""the office's 待打印 permits found through a partial index (issue 14)

The count of permits still to print is on every admin page the office opens (the 待我处理
badge). It was found by walking every expert in the pool and looking up each one's permits:
~60 ms at 100,000 experts with their permits, on every page. ``ix_permit_unprinted`` holds
only the live permits not yet printed — a handful — ordered as the print page lists them.

Revision ID: 0022_permit_unprinted_index
Revises: 0021_sealed_field_values
"""
import sqlalchemy as sa
from alembic import op

revision = '0022_permit_unprinted_index'
down_revision = '0021_sealed_field_values'
branch_labels = None
depends_on = None

WHERE = sa.text('printed_at IS NULL AND revoked_at IS NULL')


def upgrade():
    op.create_index('ix_permit_unprinted', 'permit', ['issued_at'], unique=False,
                    sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade():
    op.drop_index('ix_permit_unprinted', table_name='permit')
