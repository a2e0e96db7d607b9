"""Personal data encrypted at rest (SPEC §3.20; 等保 2.0, 商用密码应用安全性评估).

The columns are declared in the models with :class:`models.base.PersonalString` (SM4-GCM,
key outside the database, app/crypto.py); this module holds what works across all of them:

* :func:`expert_search_clauses` — the office's search by a full ID number or phone, through
  the keyed blind index (HMAC-SM3 of the normalised value), never by decrypting rows;
* :func:`encrypted_columns` — every encrypted column of every table, from the models;
* :func:`unreadable_values` — the stored values that do not decrypt (``flask check-integrity``);
* :func:`rotate` — ``flask rotate-data-key``: every value not yet under the current key is
  decrypted with its own (old) key and written again under the current one, blind indexes
  recomputed, in batches, each batch committed. Rows already under the current key are
  skipped, so an interrupted rotation simply continues when run again.

Values are read and written here through plain SQL columns (not the model's type), so a
rotation sees the ciphertext and its key id, and never writes a message in place of a value.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from app import crypto
from app.extensions import db
from models import Expert
from models.base import EncryptedString, PersonalString, blind_match

#: What the integrity check and the rotation call each table (others: the table's name).
TABLE_LABELS = {"expert": "专家", "user": "用户"}
#: The Chinese name of each encrypted column, for messages.
COLUMN_LABELS = {
    "id_number": "身份证号", "mobile": "手机", "work_phone": "工作电话", "home_phone": "住宅电话",
    "address": "通讯地址", "wechat": "微信号", "qq": "QQ号", "email": "电子邮箱", "phone": "联系电话",
    "totp_secret": "两步验证密钥",
}

BATCH_SIZE = 500


# --------------------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------------------


def expert_search_clauses(term: str) -> list:
    """WHERE clauses matching experts whose ID number or mobile is exactly ``term``
    (spaces, dashes and full-width digits allowed). Empty when ``term`` cannot be either:
    a part of a number finds nothing — only the whole number is searchable."""
    digits = "".join(ch for ch in term if ch.isdigit())
    clauses = []
    if len(digits) >= 17:  # an ID number (the 18th character may be X)
        clauses.append(blind_match(Expert.id_number, term))
    if 7 <= len(digits) <= 15:  # a phone number, mobile or fixed line with its area code
        clauses.append(blind_match(Expert.mobile, term))
    return clauses


# --------------------------------------------------------------------------------------
# the encrypted columns
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    """One encrypted column: its table, primary key, the type (context, blind index)."""

    table: str
    column: str
    kind: EncryptedString
    index: str | None = None


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column of the schema, table by table (from the models, so a new
    encrypted column is rotated and checked without touching this module)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString):
                index = column.type.index if isinstance(column.type, PersonalString) else None
                found.append(EncryptedColumn(table.name, column.name, column.type, index))
    return found


def _by_table() -> dict[str, list[EncryptedColumn]]:
    tables: dict[str, list[EncryptedColumn]] = {}
    for col in encrypted_columns():
        tables.setdefault(col.table, []).append(col)
    return tables


def _plain_table(name: str, columns: list[EncryptedColumn]) -> sa.TableClause:
    """The table with its encrypted (and index) columns as plain text: no type processing."""
    names = ["id"] + [c.column for c in columns] + [c.index for c in columns if c.index]
    return sa.table(name, *(sa.column(n, sa.Integer if n == "id" else sa.String) for n in names))


def _batches(table: sa.TableClause, names: list[str], size: int) -> Iterator[list]:
    """The table's rows in primary-key order, ``size`` at a time (keyset pagination: a
    batch is a quick indexed read however large the table)."""
    last = 0
    while True:
        rows = db.session.execute(
            sa.select(table.c.id, *(table.c[n] for n in names)).where(table.c.id > last)
            .order_by(table.c.id).limit(size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


# --------------------------------------------------------------------------------------
# integrity
# --------------------------------------------------------------------------------------


def unreadable_values(batch_size: int = BATCH_SIZE) -> list[str]:
    """A Chinese line for every stored value that does not decrypt with the installation's
    keys (altered in the database, moved between rows or columns, or written under a key
    that is not configured): ``专家 #12 的身份证号无法解密：加密值校验失败…``."""
    ring = crypto.keyring()
    found = []
    for name, columns in _by_table().items():
        table = _plain_table(name, columns)
        for rows in _batches(table, [c.column for c in columns], batch_size):
            for row in rows:
                for col, stored in zip(columns, row[1:], strict=True):
                    if stored in (None, ""):
                        continue
                    try:
                        ring.decrypt(stored, col.kind.context)
                    except crypto.DecryptionError as err:
                        found.append(f"{TABLE_LABELS.get(name, name)} #{row[0]} 的"
                                     f"{COLUMN_LABELS.get(col.column, col.column)}无法解密：{err}")
    return found


# --------------------------------------------------------------------------------------
# key rotation
# --------------------------------------------------------------------------------------


@dataclass
class RotationResult:
    """What one run of :func:`rotate` did, per table."""

    key_id: str
    rewritten: dict[str, int] = field(default_factory=dict)  # rows written under the new key
    already: dict[str, int] = field(default_factory=dict)  # rows that were already (an earlier run)
    unreadable: list[str] = field(default_factory=list)

    @property
    def total_rewritten(self) -> int:
        return sum(self.rewritten.values())


def rotate(batch_size: int = BATCH_SIZE, progress: Callable[[str], None] | None = None) -> RotationResult:
    """Re-encrypt every value not under the current key, and recompute the blind indexes.

    Commits after each batch (a batch is all-or-nothing), reports ``progress`` lines in
    Chinese, and skips rows already under the current key — so running it again after an
    interruption continues where it stopped. A value that does not decrypt is left as it is
    and listed in the result (``flask check-integrity`` shows it too).
    """
    ring = crypto.keyring()
    result = RotationResult(ring.current_id)
    say = progress or (lambda _line: None)
    for name, columns in _by_table().items():
        table = _plain_table(name, columns)
        label = TABLE_LABELS.get(name, name)
        done = already = 0
        names = [c.column for c in columns]
        for rows in _batches(table, names, batch_size):
            changed_in_batch = 0
            for row in rows:
                values = _rotated_row(ring, name, row, columns, result.unreadable)
                if values is None:
                    already += 1
                    continue
                if values:
                    db.session.execute(sa.update(table).where(table.c.id == row[0]).values(**values))
                    changed_in_batch += 1
            db.session.commit()
            done += changed_in_batch
            if changed_in_batch:
                say(f"{label}：已用新密钥重新加密 {done} 行")
        result.rewritten[name] = done
        result.already[name] = already
        say(f"{label}：完成，本次重新加密 {done} 行，此前已是新密钥 {already} 行。")
    return result


def _rotated_row(ring: crypto.Keyring, table: str, row, columns: list[EncryptedColumn],
                 unreadable: list[str]) -> dict | None:
    """The new stored values of one row; None if every value is already under the current
    key (or empty); {} if only unreadable values need rewriting (left alone)."""
    values: dict[str, str | None] = {}
    pending = False
    for col, stored in zip(columns, row[1:], strict=True):
        if stored in (None, "") or ring.key_id_of(stored) == ring.current_id:
            continue
        pending = True
        try:
            plain = ring.decrypt(stored, col.kind.context) if crypto.is_encrypted(stored) else stored
        except crypto.DecryptionError as err:
            unreadable.append(f"{TABLE_LABELS.get(table, table)} #{row[0]} 的"
                              f"{COLUMN_LABELS.get(col.column, col.column)}无法解密，未改动：{err}")
            continue
        values[col.column] = ring.encrypt(plain, col.kind.context)
        if col.index:
            values[col.index] = col.kind.index_of(plain)
    return values if pending else None


def key_ids_in_use() -> dict[str, int]:
    """How many stored values each key id wrote (a backup records it; the rotation's goal
    is one id only)."""
    counts: dict[str, int] = {}
    ring = crypto.keyring()
    for name, columns in _by_table().items():
        table = _plain_table(name, columns)
        for rows in _batches(table, [c.column for c in columns], BATCH_SIZE):
            for row in rows:
                for stored in row[1:]:
                    key_id = ring.key_id_of(stored) if stored else None
                    if key_id:
                        counts[key_id] = counts.get(key_id, 0) + 1
    return counts
