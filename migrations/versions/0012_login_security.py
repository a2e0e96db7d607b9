"""login security: failed logins per account and address; two-factor secrets encrypted at rest

- ``login_throttle``: failed logins counted per account and address, and per address
  (app/auth/throttle.py), so that a stranger cannot lock the owner out.
- ``user.totp_secret`` holds SM4-GCM ciphertext (app/crypto.py; the key is outside the
  database): the column is widened and every existing secret is encrypted with the
  installation's key. Downgrading decrypts them again.

Revision ID: 0012_login_security
Revises: 0020_audit_client_addr
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_login_security'
down_revision = '0013_inbox_queues'
branch_labels = None
depends_on = None

CONTEXT = "user.totp_secret"  # the associated data the model's column binds its values to


def upgrade():
    op.create_table(
        'login_throttle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=True)
    _rewrite(encrypting=True)


def downgrade():
    _rewrite(encrypting=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64),
                              existing_nullable=True)
    op.drop_table('login_throttle')


def _rewrite(encrypting: bool) -> None:
    """Encrypt (or decrypt) every stored secret with the app's keyring; values already in the
    wanted form are left alone, so the step can be repeated safely."""
    from app import crypto

    connection = op.get_bind()
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))
    rows = connection.execute(sa.select(user.c.id, user.c.totp_secret).where(user.c.totp_secret.is_not(None))).all()
    for row_id, value in rows:
        if encrypting and not crypto.is_encrypted(value):
            new = crypto.encrypt(value, CONTEXT)
        elif not encrypting and crypto.is_encrypted(value):
            new = crypto.decrypt(value, CONTEXT)
        else:
            continue
        connection.execute(sa.update(user).where(user.c.id == row_id).values(totp_secret=new))
