"""audit chain: every entry carries the SM3 hash of its content and of the entry before it;
a sealed chain head; on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE of audit_log

- audit_log gets prev_hash and hash; the entries already there are hashed here, in id order
  (the first one follows the chain's start), with the application's own hash function
  (app.services.audit.chain.entry_hash: the format is versioned inside every hash);
- audit_log.action grows to 20 characters (login_fail, key_rotation…) and gets an index
  (the export records are read by it);
- audit_log.user_id loses its foreign key: the log outlives the accounts it names, and the
  old ON DELETE SET NULL would have rewritten entries;
- audit_chain_head (one row) names the last entry, sealed with HMAC-SM3 under the audit key
  (not in the database; AUDIT_HMAC_KEY or derived from SECRET_KEY);
- PostgreSQL: audit_log_append_only refuses UPDATE always and DELETE except for the archive
  command (SET LOCAL expertpool.audit_archive = 'on') on entries older than 6 months;
  audit_log_no_truncate refuses TRUNCATE.

Revision ID: 0018_audit_chain
Revises: 0020_audit_client_addr
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_audit_chain'
down_revision = '0012_login_security'
branch_labels = None
depends_on = None

FK_CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
MAINTENANCE = {"expertpool_audit_maintenance": True}
BATCH = 1000

TRIGGERS = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('expertpool.audit_archive', true) = 'on' THEN
      IF OLD.at < now() - interval '6 months' THEN
        RETURN OLD;
      END IF;
    END IF;
  END IF;
  RAISE EXCEPTION '操作日志只能追加，不能修改或删除（% 被拒绝）', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE OR REPLACE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '操作日志只能追加，不能清空（TRUNCATE 被拒绝）' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate();
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
DROP FUNCTION IF EXISTS audit_log_no_truncate();
DROP FUNCTION IF EXISTS audit_log_append_only();
"""


def _user_fk_name(bind):
    for fk in sa.inspect(bind).get_foreign_keys('audit_log'):
        if fk['constrained_columns'] == ['user_id']:
            return fk['name'] or 'fk_audit_log_user_id_user'
    return None


def _hash_existing(bind):
    """Hash the entries already there, in id order; returns (last id, last hash)."""
    from app.services.audit.chain import GENESIS, HASHED, entry_hash

    log = sa.table('audit_log', *[sa.column(name) for name in HASHED if name not in ('at', 'changes')],
                   sa.column('at', sa.DateTime(timezone=True)), sa.column('changes', sa.JSON()),
                   sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()))
    update = (sa.update(log).where(log.c.id == sa.bindparam('entry_id'))
              .values(prev_hash=sa.bindparam('p'), hash=sa.bindparam('h')).execution_options(**MAINTENANCE))
    last_id, last_hash = 0, GENESIS
    while True:
        rows = bind.execute(sa.select(*[log.c[name] for name in HASHED]).where(log.c.id > last_id)
                            .order_by(log.c.id).limit(BATCH)).mappings().all()
        if not rows:
            return last_id, last_hash
        params = []
        for row in rows:
            values = dict(row)
            values['prev_hash'] = last_hash
            last_hash = entry_hash(values)
            last_id = values['id']
            params.append({'entry_id': last_id, 'p': values['prev_hash'], 'h': last_hash})
        bind.execute(update, params)


def upgrade():
    from app.services.audit.chain import head_seal

    bind = op.get_bind()
    op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('seal', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    fk_name = _user_fk_name(bind)
    with op.batch_alter_table('audit_log', schema=None, naming_convention=FK_CONVENTION) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('action', existing_type=sa.String(length=10), type_=sa.String(length=20),
                              existing_nullable=False)
        if fk_name:
            batch_op.drop_constraint(fk_name, type_='foreignkey')
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
    last_id, last_hash = _hash_existing(bind)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
    head = sa.table('audit_chain_head', sa.column('id'), sa.column('last_id'), sa.column('last_hash'),
                    sa.column('seal'))
    op.execute(sa.insert(head).values(id=1, last_id=last_id, last_hash=last_hash, seal=head_seal(last_id, last_hash)))
    if bind.dialect.name == 'postgresql':
        op.execute(TRIGGERS)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(DROP_TRIGGERS)
    log = sa.table('audit_log', sa.column('action', sa.String()), sa.column('user_id', sa.Integer()))
    users = sa.table('user', sa.column('id', sa.Integer()))
    # The old schema's action held 10 characters, and its user_id had to name an account.
    op.execute(sa.update(log).where(sa.func.length(log.c.action) > 10)
               .values(action=sa.func.substr(log.c.action, 1, 10)).execution_options(**MAINTENANCE))
    op.execute(sa.update(log).where(log.c.user_id.isnot(None), log.c.user_id.notin_(sa.select(users.c.id)))
               .values(user_id=None).execution_options(**MAINTENANCE))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))
        batch_op.alter_column('action', existing_type=sa.String(length=20), type_=sa.String(length=10),
                              existing_nullable=False)
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.create_foreign_key('fk_audit_log_user_id_user', 'user', ['user_id'], ['id'], ondelete='SET NULL')
    op.drop_table('audit_chain_head')
