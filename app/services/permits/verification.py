"""Permit verification (专家工作证核验, 第七条; SPEC §5, §7): what a scanned QR code shows.

An enterprise scans the QR code on a permit and must learn in a second whether the
holder may work as an expert *today*. The person's status comes from
``app.services.status.compute_status`` — the same rule dispatch uses — fed with plain
rows; two states belong to the card rather than the person and are added here:

* 已作废 (``revoked``): the card was replaced (补办/换发) or withdrawn;
* 无效证件 (``invalid``): no permit carries this token (forged, altered, unknown).

Precedence: 已解聘 > 黑名单 > 暂停 (the person) > 已作废 (the card) > 已过期 (the
person's term, or the card's own term when a later term was granted without a new card)
> 有效.

The public page is hot (the benchmark in bench/verify_bench.py holds it to at least half
the requests/s of a bare endpoint), so it skips the ORM session: two Core statements,
compiled once per dialect, run on a pooled DBAPI connection — one for permit + expert +
groups, one for the status inputs — and the scan goes to ``app.services.permits.scan_log``, which
writes a process's scans together a quarter-second later instead of taking the database's
write lock in every request. Only public facts leave this module:
never the ID number, phones, address, birth date or the reason for a sanction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Date, Integer, String, bindparam, cast, literal, null, or_, select, union_all

from app import clock
from app.clock import utcnow
from app.extensions import db
from app.services.permits.scan_log import record_scan
from app.services.status import SanctionSpan, TermSpan, compute_status
from models import Dismissal, Expert, ExpertGroup, Permit, Term, Violation, expert_group_link
from models.choices import PERMIT_STATUSES

ISSUER = "武进区应急管理局"

#: A token as ``app.services.permits.issuing.new_token`` makes them (URL-safe base64). Anything
#: else is refused before the database is asked.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")

#: One sentence per status for the enterprise reading the page (no reasons, no PII).
ADVICE = {
    "valid": "持证人为武进区安全生产专家库在聘专家，可凭本证开展专家工作。",
    "suspended": "持证人专家资格暂停中，暂停期间不得以区安全生产专家身份开展工作。",
    "blacklisted": "持证人已被列入黑名单，不得在武进区行政区域内以专家身份开展工作或从事中介活动（第二十一条）。",
    "dismissed": "持证人已被解聘，本证已失效，不得再以区安全生产专家身份开展工作。",
    "expired": "本证聘期已届满，证件已失效。",
    "revoked": "本证已作废（已补办、换发或收回），不能作为专家身份凭证。",
    "invalid": (
        "未查到此证件，可能是伪造、涂改或二维码已损坏的证件。"
        "请勿让持证人以专家身份开展工作，并可向区应急管理局举报。"
    ),
}

_P = Permit.__table__
_E = Expert.__table__
_G = ExpertGroup.__table__
_L = expert_group_link
_T = Term.__table__
_V = Violation.__table__
_D = Dismissal.__table__

# Permit + expert + groups in one statement: one row per group (at least one row).
_LOOKUP = (
    select(
        _P.c.id, _P.c.expert_id, _P.c.term_id, _P.c.permit_no, _P.c.revoked_at,
        _E.c.name, _E.c.source, _E.c.stage, _E.c.photo_thumb_path, _G.c.name.label("group_name"),
    )
    .select_from(_P.join(_E, _E.c.id == _P.c.expert_id).outerjoin(_L, _L.c.expert_id == _E.c.id)
                 .outerjoin(_G, _G.c.id == _L.c.group_id))
    .where(_P.c.token == bindparam("token"))
    .order_by(_G.c.sort_order)
)

# Everything compute_status needs besides the expert row, in one statement. Columns:
# kind, id, first date, second date, third date (typed so PostgreSQL accepts the union).
_NO_DATE = cast(null(), Date)
_STATUS_INPUTS = union_all(
    select(literal("term", String).label("kind"), _T.c.id, _T.c.start_date, _T.c.end_date, _T.c.ended_on)
    .where(_T.c.expert_id == bindparam("eid")),
    select(_V.c.sanction, cast(null(), Integer), _V.c.sanction_start, _V.c.sanction_end, _NO_DATE)
    .where(_V.c.expert_id == bindparam("eid"), _V.c.state == "verified",
           or_(_V.c.sanction == "suspension", _V.c.sanction == "blacklist"), _V.c.sanction_start.is_not(None)),
    select(literal("dismissal", String), cast(null(), Integer), _D.c.effective_on, _NO_DATE, _NO_DATE)
    .where(_D.c.expert_id == bindparam("eid"), _D.c.state == "approved"),
)

_PHOTO = select(_E.c.photo_thumb_path).select_from(_P.join(_E, _E.c.id == _P.c.expert_id)).where(
    _P.c.token == bindparam("token"))

_COMPILED: dict = {}


def _compiled(stmt, dialect):
    """(SQL text, bind order or None, literal values, bind processors) of a statement, once per dialect."""
    key = (id(stmt), dialect.name)
    hit = _COMPILED.get(key)
    if hit is None:
        c = stmt.compile(dialect=dialect)
        processors = {name: proc for name, bind in c.binds.items()
                      if (proc := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        hit = _COMPILED[key] = (str(c), c.positiontup, dict(c.params), processors)
    return hit


def _run(cursor, dialect, stmt, **values):
    sql, order, literals, processors = _compiled(stmt, dialect)
    params = {**literals, **values}
    for name, proc in processors.items():
        if name in values:
            params[name] = proc(params[name])
    cursor.execute(sql, tuple(params[k] for k in order) if order else params)
    return cursor


def _date(value) -> dt.date | None:
    """A DATE column as read by the driver (SQLite hands back ISO text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@contextmanager
def _dbapi():
    """(DBAPI connection, whether this module owns its transaction).

    Inside a request nothing else has opened the ORM session, so a pooled connection is
    taken directly. Where the session already holds a transaction (tests that work in the
    request's app context, an admin page) the statements join it and its owner commits.
    """
    registry = db.session.registry
    if registry.has() and registry().in_transaction():
        yield registry().connection().connection.dbapi_connection, False
        return
    raw = db.engine.raw_connection()
    try:
        yield raw.dbapi_connection, True
    finally:
        raw.close()


@dataclass(frozen=True)
class PermitCheck:
    """What the verify page and its JSON show. ``found`` is False for 无效证件."""

    status: str  # valid | suspended | blacklisted | dismissed | expired | revoked | invalid
    label: str  # 有效, 暂停, …
    display: str  # the big word, with the end date where one applies: 暂停（至2027年3月1日）
    advice: str
    checked_at: dt.datetime  # Asia/Shanghai
    found: bool = False
    name: str | None = None
    permit_no: str | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    until: dt.date | None = None  # last day of a suspension or blacklisting
    issuer: str = ISSUER
    has_photo: bool = False
    expert_id: int | None = None
    permit_id: int | None = None

    def as_json(self) -> dict:
        """The JSON answer of SPEC §7 (plus issuer, term start, restriction end and query time)."""
        return {
            "status": self.status,
            "status_label": self.label,
            "name": self.name,
            "permit_no": self.permit_no,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "groups": list(self.groups),
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "until": self.until.isoformat() if self.until else None,
            "issuer": self.issuer if self.found else None,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
        }


def well_formed(token: str | None) -> bool:
    """True if ``token`` has the shape of a permit token (no database access)."""
    return bool(token) and TOKEN_RE.fullmatch(token) is not None


def hash_client(ip: str | None, secret: str) -> str:
    """sha256 of the app secret and the client address: scans can be told apart, not traced."""
    return hashlib.sha256(f"{secret}{ip or ''}".encode()).hexdigest()


def permit_status(person, *, revoked: bool, card_term: TermSpan | None, on: dt.date) -> str:
    """The card's status from the person's ``ExpertStatus`` and the card's own facts (see module doc)."""
    if person.code in ("dismissed", "blacklisted", "suspended"):
        return person.code
    if revoked:
        return "revoked"
    if person.code == "expired":
        return "expired"
    if card_term is not None and (on > card_term.end or (card_term.ended_on is not None and on >= card_term.ended_on)):
        return "expired"
    if person.code == "not_appointed":
        return "invalid"  # a card whose term has not begun, or of an expert outside the district pool
    return "valid"


def _invalid(now: dt.datetime) -> PermitCheck:
    return PermitCheck("invalid", PERMIT_STATUSES["invalid"], PERMIT_STATUSES["invalid"], ADVICE["invalid"], now)


def _card_term(terms: list[TermSpan], term_id: int | None, person) -> TermSpan | None:
    if term_id is not None:
        for term in terms:
            if term.id == term_id:
                return term
    if person.term is not None:
        return person.term
    return max(terms, key=lambda t: t.start, default=None)


def check_permit(token: str | None, *, ip: str | None = None, secret: str = "", on: dt.date | None = None,
                 log: bool = True) -> PermitCheck:
    """Look a token up, decide the card's status now, and log the scan (SPEC §5, §7).

    The scan is logged through ``app.services.permits.scan_log.record_scan``: in the session's
    transaction where one is open (see ``_dbapi``), else buffered for
    ``VERIFY_SCAN_FLUSH_SECONDS`` (written at once when that is 0). ``log=False`` (office screens,
    printing) reads only. A malformed or unknown token gives the 无效证件 answer (``found``
    False), never an exception.
    """
    now = clock.now()
    on = on or now.date()
    dialect = db.engine.dialect
    with _dbapi() as (conn, own):
        cur = conn.cursor()
        try:
            rows = _run(cur, dialect, _LOOKUP, token=token).fetchall() if well_formed(token) else []
            first = rows[0] if rows else None
            inputs = _run(cur, dialect, _STATUS_INPUTS, eid=first[1]).fetchall() if first else []
        finally:
            cur.close()  # an own connection's read transaction ends when the pool takes it back
    code = person = card_term = None
    if first:
        person, card_term, code = _decide(first, inputs, on)
    if log:
        scan = {"at": utcnow(), "token": (token or "")[:128], "ip_hash": hash_client(ip, secret),
                "permit_id": first[0] if first else None, "status": code or "invalid"}
        record_scan(db.engine, scan, delay=current_app.config.get("VERIFY_SCAN_FLUSH_SECONDS", 0),
                    connection=None if own else db.session.connection())
    if first is None:
        return _invalid(now)
    if code == person.code and code in ("suspended", "blacklisted"):
        display, until = person.display, (person.until - dt.timedelta(days=1) if person.until else None)
    else:
        display, until = PERMIT_STATUSES[code], None
    # columns of _LOOKUP: id, expert_id, term_id, permit_no, revoked_at, name, source, stage, photo, group
    return PermitCheck(
        status=code, label=PERMIT_STATUSES[code], display=display, advice=ADVICE[code], checked_at=now, found=True,
        name=first[5], permit_no=first[3], groups=tuple(r[9] for r in rows if r[9] is not None),
        valid_from=card_term.start if card_term else None, valid_until=card_term.end if card_term else None,
        until=until, has_photo=bool(first[8]), expert_id=first[1], permit_id=first[0],
    )


def _decide(first, inputs, on: dt.date):
    """(person's ExpertStatus, the card's term, the card's status) from the looked-up rows."""
    terms: list[TermSpan] = []
    sanctions: list[SanctionSpan] = []
    dismissed_on: dt.date | None = None
    for kind, rid, d1, d2, d3 in inputs:
        if kind == "term":
            terms.append(TermSpan(rid, _date(d1), _date(d2), _date(d3)))
        elif kind == "dismissal":
            day = _date(d1) or on
            dismissed_on = day if dismissed_on is None else min(dismissed_on, day)
        else:
            sanctions.append(SanctionSpan(kind, _date(d1), _date(d2)))
    # As statuses_for: an expert marked dismissed without an approved record counts as dismissed today.
    if dismissed_on is None and first[7] == "dismissed":
        dismissed_on = on
    person = compute_status(on=on, source=first[6], terms=terms, sanctions=sanctions, dismissed_on=dismissed_on)
    card_term = _card_term(terms, first[2], person)
    return person, card_term, permit_status(person, revoked=first[4] is not None, card_term=card_term, on=on)


def photo_path_for(token: str | None) -> str | None:
    """The stored thumbnail of the permit holder's photo (relative upload path), or None."""
    if not well_formed(token):
        return None
    with _dbapi() as (conn, _own):
        cur = conn.cursor()
        try:
            row = _run(cur, db.engine.dialect, _PHOTO, token=token).fetchone()
        finally:
            cur.close()
    return row[0] if row else None
