"""what waits in the leader's and the office's queues: printed permits, proposed direct appointments

- ``permit.printed_at``: when the office printed the card; a permit not yet printed is in
  the office's queue (待我处理). Permits issued before this revision are taken as printed
  (they were handed out before the queue existed), so the queue starts empty.
- ``application.direct_proposed_at`` / ``direct_proposal``: the office puts a 特需专家 to
  the 局长办公会议 for direct appointment (第十二条(五)); the proposal waits in the leader's
  queue (待我审批) until approved or declined.

Revision ID: 0013_inbox_queues
Revises: 0020_audit_client_addr
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_inbox_queues'
down_revision = '0016_forms_engine'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('permit') as batch:
        batch.add_column(sa.Column('printed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE permit SET printed_at = issued_at")
    with op.batch_alter_table('application') as batch:
        batch.add_column(sa.Column('direct_proposed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('direct_proposal', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('application') as batch:
        batch.drop_column('direct_proposal')
        batch.drop_column('direct_proposed_at')
    with op.batch_alter_table('permit') as batch:
        batch.drop_column('printed_at')
