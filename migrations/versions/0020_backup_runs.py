"""backup runs: when the last good backup was made (shown on the sysadmin's dashboard)

Revision ID: 0020_backup_runs
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_backup_runs'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'backup_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=True),
        sa.Column('seconds', sa.Float(), nullable=True),
        sa.Column('host', sa.String(length=100), nullable=False),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('backup_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backup_run_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('backup_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_backup_run_at'))
    op.drop_table('backup_run')
