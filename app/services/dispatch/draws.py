"""The recorded random draw, and its voiding (SPEC §3.5).

The draw is deterministic from its record, so anyone can replay it:

1. take the recorded eligible expert ids (:mod:`app.services.dispatch.candidates`);
2. give each id the key ``SHA-256("<seed>:<id>")`` in hexadecimal, where ``seed`` is the
   recorded 32-hex-digit (128-bit) random value from :mod:`secrets`;
3. order the ids by key (ties, never seen in practice, by id);
4. the first ``needed`` ids are drawn, the next ``min(backups, rest)`` are the backups,
   in that order.

A hash ranking is used rather than ``random.shuffle`` because Python does not promise
the same shuffle across versions; SHA-256 can be recomputed anywhere for years.
Changing the groups, dates, enterprises or headcount after a draw voids it (time and
reason recorded on the draw, a timeline event for every released expert); the
pending and accepted assignments are released, responses already given are kept.

Functions flush; the caller commits (and rolls back on :class:`DomainError`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable

from app.clock import utcnow
from app.extensions import db
from app.services.dispatch.assignments import OPEN_RESPONSES, actor_id, still_needed, timeline_event, touch
from app.services.dispatch.candidates import candidates, not_enough
from app.services.errors import DomainError
from models import Assignment, Draw, Expert, UsageRequest

ALGORITHM = "sha256-rank-v1"
ALGORITHM_TEXT = ("按 SHA-256(种子:专家编号) 的十六进制值从小到大排序，前N名为抽中专家，其后依次为候补专家")
SEED_RE = re.compile(r"^[0-9a-f]{32}$")


def draw_order(seed: str, eligible_ids: Iterable[int], needed: int, backups: int) -> tuple[list[int], list[int]]:
    """The pure draw (see the module docstring): (drawn ids, backup ids) from the seed."""
    ids = sorted({int(i) for i in eligible_ids})
    ranked = sorted(ids, key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode("ascii")).hexdigest(), i))
    needed = max(0, min(needed, len(ranked)))
    backups = max(0, min(backups, len(ranked) - needed))
    return ranked[:needed], ranked[needed:needed + backups]


def new_seed() -> str:
    """128 random bits from the operating system, as 32 hexadecimal digits."""
    return secrets.token_hex(16)


def draw(req: UsageRequest, actor=None, *, seed: str | None = None) -> Draw:
    """Draw the experts the request still needs, with backups, and record everything
    needed to replay the draw (SPEC §3.5)."""
    if req.state in ("completed", "cancelled"):
        raise DomainError(f"该申请{req.state_label}，不能抽取。")
    needed = still_needed(req)
    if needed <= 0:
        raise DomainError("本次任务所需专家已经选定，无需再抽取。")
    cands = candidates(req)
    if len(cands.eligible) < needed:
        raise not_enough(len(cands.eligible), needed, cands)
    seed = seed or new_seed()
    if not SEED_RE.match(seed):
        raise DomainError("抽取种子须为32位十六进制数。")
    eligible_ids = cands.eligible_ids
    chosen, backup_ids = draw_order(seed, eligible_ids, needed, req.backups)
    record = Draw(
        request=req, drawn_by_id=actor_id(actor), seed=seed, eligible_ids=eligible_ids, chosen_ids=chosen,
        backup_ids=backup_ids,
        conditions={
            "request_no": req.request_no,
            "groups": [{"id": g.id, "name": g.name} for g in req.groups],
            "group_rule": "属于所需组别中任一组别即可",
            "start_date": req.start_date.isoformat(),
            "end_date": req.end_date.isoformat(),
            "enterprises": [{"id": e.id, "name": e.name, "uscc": e.uscc} for e in req.enterprises],
            "headcount": req.headcount,
            "needed": needed,
            "backups": req.backups,
            "eligible_count": len(eligible_ids),
            "algorithm": ALGORITHM,
        },
    )
    db.session.add(record)
    db.session.flush()
    rank = max([a.rank for a in req.assignments] + [0])
    for expert_id in chosen:
        rank += 1
        req.assignments.append(Assignment(expert_id=expert_id, draw_id=record.id, method="draw", rank=rank,
                                          is_backup=False, response="pending"))
    for expert_id in backup_ids:
        rank += 1
        req.assignments.append(Assignment(expert_id=expert_id, draw_id=record.id, method="draw", rank=rank,
                                          is_backup=True, response="pending"))
    req.state = "dispatched"
    touch(req)
    db.session.flush()
    return record


def replay_draw(record: Draw) -> tuple[list[int], list[int]]:
    """Recompute a recorded draw from its seed, eligible ids and counts: (drawn, backups)."""
    cond = record.conditions or {}
    return draw_order(record.seed, record.eligible_ids or [], int(cond.get("needed", 0)), int(cond.get("backups", 0)))


def verify_draw(record: Draw) -> bool:
    """Whether replaying the draw gives exactly the recorded experts and backups."""
    chosen, backups = replay_draw(record)
    return chosen == list(record.chosen_ids or []) and backups == list(record.backup_ids or [])


# --------------------------------------------------------------------------------------
# voiding
# --------------------------------------------------------------------------------------


def void_selection(req: UsageRequest, reason: str, *, actor=None, now: dt.datetime | None = None) -> list[Expert]:
    """Void the request's live draws and release its open assignments (pending or accepted,
    not completed); responses already given stay as history. Returns the released experts."""
    now = now or utcnow()
    for d in req.draws:
        if d.voided_at is None:
            d.voided_at = now
            d.void_reason = reason
    released = []
    for a in list(req.assignments):
        if a.response in OPEN_RESPONSES and a.completed_at is None:
            released.append(a.expert)
            timeline_event(a.expert_id, "任务选派作废", f"{req.request_no} {req.subject}：{reason}", actor_id(actor))
            req.assignments.remove(a)
            db.session.delete(a)
    req.state = "submitted"
    touch(req)
    db.session.flush()
    return released
