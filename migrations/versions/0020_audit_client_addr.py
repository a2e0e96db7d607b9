"""audit entries carry the client's address (logins and every change made in a request)

Existing entries get an empty address: the address was not recorded when they were made.

Revision ID: 0020_audit_client_addr
Revises: 0020_backup_runs
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_audit_client_addr'
down_revision = '0020_backup_runs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_addr', sa.String(length=64), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('client_addr')
