"""Shared column types and mixins for every model."""
import math
import unicodedata
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Integer, Numeric, String, event, func
from sqlalchemy.orm import Mapped, Mapper, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from app import crypto
from app.clock import utcnow
from app.extensions import db

# Money: 元 with 分 precision, always Decimal (SPEC §3.10).
Money = Numeric(12, 2, asdecimal=True)


def limited(label: str, max_length: int) -> dict:
    """``info`` of a free-text column: its Chinese label and the most characters it takes.

    Forms add a length check from it and the flush guard (app/services/limits.py) refuses
    longer text, with a message naming the field and the limit.
    """
    return {"label": label, "max_length": max_length}


class EncryptedString(TypeDecorator):
    """Text the application reads and writes in the clear and the database holds as SM4-GCM
    ciphertext (``sm4gcm:<key id>:…``, app/crypto.py), bound to ``context`` (e.g.
    ``"user.totp_secret"``) so a value copied into another column does not decrypt there.
    The key is never in the database (SPEC §3.18, §3.20).

    ``length`` is the stored (encrypted) length: about 4/3 × the plaintext's UTF-8 bytes + 50.
    Equality searches do not work on such a column: each value has its own random nonce.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int, context: str):
        super().__init__(length)
        self.context = context

    def process_bind_param(self, value, dialect):
        return crypto.encrypt(value, self.context)

    def process_result_value(self, value, dialect):
        return crypto.decrypt(value, self.context)


def _normal_id_number(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def _normal_phone(value: str) -> str:
    # Only the digits: "0519-8631 0627" and "051986310627" are one number.
    return "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isdigit())


#: How a value is normalised before its blind index is taken (the search term goes through
#: the same function, so a search typed with spaces or full-width digits still matches).
NORMALISERS = {"id_number": _normal_id_number, "phone": _normal_phone}


def stored_length(plain_length: int) -> int:
    """The column length an encrypted value of ``plain_length`` characters needs:
    ``sm4gcm:<key id ≤ 8>:`` + base64url(12-byte nonce + ≤ 4 bytes a character + 16-byte tag)."""
    return 16 + math.ceil((NONCE_AND_TAG + 4 * plain_length) / 3) * 4


NONCE_AND_TAG = crypto.NONCE_BYTES + crypto.TAG_BYTES


class PersonalString(EncryptedString):
    """Personal data (身份证号, phones, address, WeChat, QQ, e-mail) encrypted at rest (SPEC §3.20).

    Reads and writes like a plain string of at most ``plain_length`` characters (the flush
    guard of app/services/limits.py measures the plain text against it). A stored value that
    does not decrypt reads as :class:`app.crypto.UnreadableValue` — a clear Chinese message
    for that one field, never an error page — and is written back unchanged if the record
    is saved.

    ``index`` names the blind-index column kept beside it (HMAC-SM3 of the value normalised
    by ``NORMALISERS[normalise]``): set on every assignment (see :func:`_keep_blind_indexes`)
    and searched with :func:`blind_match`, so nothing is ever found by decrypting every row.
    """

    cache_ok = True

    def __init__(self, plain_length: int, context: str, index: str | None = None, normalise: str | None = None):
        super().__init__(stored_length(plain_length), context)
        self.plain_length = plain_length
        self.index = index
        self.normalise = normalise

    def process_bind_param(self, value, dialect):
        if isinstance(value, crypto.UnreadableValue):
            return value.stored  # saved unchanged: keep what was there
        return super().process_bind_param(value, dialect)

    def process_result_value(self, value, dialect):
        try:
            return super().process_result_value(value, dialect)
        except crypto.DecryptionError as err:
            return crypto.UnreadableValue(value, str(err))

    def index_of(self, value: str | None) -> str | None:
        """The blind index to store for ``value`` under the current key (None for no value)."""
        normal = NORMALISERS[self.normalise](value) if value else ""
        return crypto.keyring().blind_index(normal, self.context) if normal else None

    def indexes_of(self, value: str | None) -> list[str]:
        """The value's blind index under every key of the ring (for a search)."""
        normal = NORMALISERS[self.normalise](value) if value else ""
        return crypto.keyring().blind_indexes(normal, self.context) if normal else []


def blind_match(attribute, value: str | None):
    """A WHERE clause "``attribute`` equals ``value``" on a :class:`PersonalString` column,
    through its blind index: ``blind_match(Expert.id_number, "11010519491231002X")``."""
    kind = attribute.property.columns[0].type
    index_column = getattr(attribute.class_, kind.index)
    return index_column.in_(kind.indexes_of(value) or ["-"])


@event.listens_for(Mapper, "mapper_configured")
def _keep_blind_indexes(mapper, cls) -> None:
    """Every assignment to a blind-indexed column sets its index column too (including the
    constructor's keyword arguments), so no service can forget it."""
    for attr in mapper.column_attrs:
        kind = getattr(attr.columns[0], "type", None)
        if not isinstance(kind, PersonalString) or not kind.index:
            continue

        def _sync(target, value, _old, _initiator, kind=kind):
            if not isinstance(value, crypto.UnreadableValue):
                setattr(target, kind.index, kind.index_of(value))

        event.listen(getattr(cls, attr.key), "set", _sync)


class TimestampMixin:
    """Creation and last-change times."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class VersionedMixin:
    """Optimistic locking: a stale UPDATE raises ``StaleDataError`` instead of overwriting.

    The admin forms carry ``version`` and compare it on save, so a concurrent edit is
    refused with a message rather than silently lost (issue: no lost edits).
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


__all__ = ["db", "Money", "Decimal", "utcnow", "TimestampMixin", "VersionedMixin"]
