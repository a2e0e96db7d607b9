"""personal data encrypted at rest: SM4-GCM values and keyed blind indexes (SPEC §3.20)

- ``expert``: 身份证号, 手机, 住宅电话, 工作电话, 通讯地址, 微信号, QQ号, 电子邮箱 and
  ``user.phone`` hold SM4-GCM ciphertext (app/crypto.py; the key is outside the database):
  the columns are widened and every existing value is encrypted in place with the
  installation's key.
- ``expert.id_number_bidx`` (unique) and ``expert.mobile_bidx`` (indexed): HMAC-SM3 of the
  normalised value under a subkey of the data key, filled for every row. They replace the
  unique constraint on ``id_number`` and the index on ``mobile`` (ciphertexts are random:
  neither means anything on them any more).

Downgrading decrypts the values again and restores the old columns.

Revision ID: 0018_personal_data_sm4
Revises: 0012_login_security
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0018_personal_data_sm4'
down_revision = '0018_audit_chain'
branch_labels = None
depends_on = None

BATCH = 500


def _normal_id_number(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def _normal_phone(value: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit())


def _stored(plain_length: int) -> int:
    # models.base.stored_length, frozen here: 16 + ceil((28 + 4 n) / 3) * 4
    return 16 + -(-(28 + 4 * plain_length) // 3) * 4


# (table, column, old length, plain length, context, blind-index column, normaliser)
COLUMNS = [
    ('expert', 'id_number', 18, 18, 'expert.id_number', 'id_number_bidx', _normal_id_number),
    ('expert', 'address', 200, 200, 'expert.address', None, None),
    ('expert', 'wechat', 50, 50, 'expert.wechat', None, None),
    ('expert', 'work_phone', 30, 30, 'expert.work_phone', None, None),
    ('expert', 'home_phone', 30, 30, 'expert.home_phone', None, None),
    ('expert', 'mobile', 20, 20, 'expert.mobile', 'mobile_bidx', _normal_phone),
    ('expert', 'email', 120, 120, 'expert.email', None, None),
    ('expert', 'qq', 20, 20, 'expert.qq', None, None),
    ('user', 'phone', 30, 30, 'user.phone', None, None),
]
NULLABLE = {'id_number': False, 'mobile': False}


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table('expert', naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}) as batch_op:
        batch_op.add_column(sa.Column('id_number_bidx', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('mobile_bidx', sa.String(length=64), nullable=True))
        batch_op.drop_constraint('expert_id_number_key' if postgres else 'uq_expert_id_number', type_='unique')
        batch_op.drop_index('ix_expert_mobile')
    for table in ('expert', 'user'):
        with op.batch_alter_table(table) as batch_op:
            for _table, column, old, plain, *_ in (c for c in COLUMNS if c[0] == table):
                batch_op.alter_column(column, existing_type=sa.String(length=old),
                                      type_=sa.String(length=_stored(plain)),
                                      existing_nullable=NULLABLE.get(column, True))
    _rewrite(encrypting=True)
    with op.batch_alter_table('expert') as batch_op:
        batch_op.create_unique_constraint('uq_expert_id_number_bidx', ['id_number_bidx'])
        batch_op.create_index('ix_expert_mobile_bidx', ['mobile_bidx'], unique=False)


def downgrade():
    _rewrite(encrypting=False)
    with op.batch_alter_table('expert') as batch_op:
        batch_op.drop_index('ix_expert_mobile_bidx')
        batch_op.drop_constraint('uq_expert_id_number_bidx', type_='unique')
        batch_op.drop_column('mobile_bidx')
        batch_op.drop_column('id_number_bidx')
    for table in ('expert', 'user'):
        with op.batch_alter_table(table) as batch_op:
            for _table, column, old, plain, *_ in (c for c in COLUMNS if c[0] == table):
                batch_op.alter_column(column, existing_type=sa.String(length=_stored(plain)),
                                      type_=sa.String(length=old),
                                      existing_nullable=NULLABLE.get(column, True))
    with op.batch_alter_table('expert') as batch_op:
        batch_op.create_unique_constraint('expert_id_number_key' if op.get_bind().dialect.name == 'postgresql'
                                          else 'uq_expert_id_number', ['id_number'])
        batch_op.create_index('ix_expert_mobile', ['mobile'], unique=False)


def _rewrite(encrypting: bool) -> None:
    """Encrypt (or decrypt) every value and fill (or leave) the blind indexes, in batches by
    primary key; values already in the wanted form are left alone, so the step can be
    repeated safely."""
    from app import crypto

    ring = crypto.keyring()
    connection = op.get_bind()
    for table_name in ('expert', 'user'):
        columns = [c for c in COLUMNS if c[0] == table_name]
        names = ['id'] + [c[1] for c in columns] + ([c[5] for c in columns if c[5]] if encrypting else [])
        table = sa.table(table_name, *(sa.column(n, sa.Integer if n == 'id' else sa.String) for n in names))
        last = 0
        while True:
            rows = connection.execute(sa.select(*(table.c[n] for n in names if not n.endswith('_bidx')))
                                      .where(table.c.id > last).order_by(table.c.id).limit(BATCH)).all()
            if not rows:
                break
            last = rows[-1][0]
            for row in rows:
                values = {}
                for (_t, column, _o, _p, context, index, normalise), stored in zip(columns, row[1:], strict=True):
                    if stored in (None, ''):
                        continue
                    if encrypting:
                        plain = crypto.decrypt(stored, context) if crypto.is_encrypted(stored) else stored
                        if not crypto.is_encrypted(stored):
                            values[column] = ring.encrypt(stored, context)
                        if index:
                            normal = normalise(plain)
                            values[index] = ring.blind_index(normal, context) if normal else None
                    elif crypto.is_encrypted(stored):
                        values[column] = ring.decrypt(stored, context)
                if values:
                    connection.execute(sa.update(table).where(table.c.id == row[0]).values(**values))
