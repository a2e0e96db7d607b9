"""service records are linked to a payout line when its batch is reviewed, not while it is a draft

A draft batch now pays its quarter's open bureau records as they are
(app.services.fees.settlement.batch_records_condition); records already linked to a draft's
lines by the earlier code are set free, so that the draft and its quarter agree.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE service_record SET payout_line_id = NULL, version = version + 1 "
        "WHERE payout_line_id IN (SELECT payout_line.id FROM payout_line "
        "JOIN payout_batch ON payout_batch.id = payout_line.batch_id WHERE payout_batch.state = 'draft')"
    )


def downgrade():
    # The earlier code linked a draft's records when it was built; "重新汇总" on each draft
    # links them again. Nothing to undo in the data.
    pass
