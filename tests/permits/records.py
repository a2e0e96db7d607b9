"""Records that change what a permit scan shows, made the way the office makes them.

Suspension and blacklisting are verified ``Violation`` rows with a sanction and dates
(第二十一条: ``sanction_end`` is the first day the expert is usable again); dismissal is an
approved ``Dismissal`` with the expert's permits revoked at once (第十三条).
"""
import datetime as dt
import io
import re

from PIL import Image

from app import clock
from app.extensions import db
from app.services.permits.issuing import issue_permit, revoke_permits
from app.services.status import current_term
from models import Dismissal, Term, Violation
from tests import factories

TOKEN_IN_URL = re.compile(r"/verify/([A-Za-z0-9_-]+)$")


def today() -> dt.date:
    """The bureau's date (Asia/Shanghai), the one the verify page decides on."""
    return clock.today()


def photo_bytes(color=(67, 142, 219)) -> bytes:
    """A one-inch portrait-sized JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (295, 413), color).save(out, "JPEG", quality=90)
    return out.getvalue()


def permitted_expert(**kw):
    """An appointed expert (current term, signed letter) with a live permit: (expert, permit)."""
    kw.setdefault("start", today() - dt.timedelta(days=30))
    expert = factories.appointed_expert(**kw)
    permit = issue_permit(expert, current_term(expert, today()))
    return expert, permit


def suspend(expert, start=None, days=92):
    """约谈并暂停专家资格三个月: a verified violation with a suspension from ``start``."""
    start = start or today() - dt.timedelta(days=1)
    v = Violation(expert=expert, found_on=start, finding="以检查为由推销标准化辅导服务", investigation="经调查属实",
                  state="verified", verified_on=start, sanction="suspension", sanction_start=start,
                  sanction_end=start + dt.timedelta(days=days))
    db.session.add(v)
    db.session.flush()
    return v


def blacklist(expert, start=None):
    """列入黑名单三年."""
    start = start or today() - dt.timedelta(days=1)
    v = Violation(expert=expert, found_on=start, finding="恢复资格后再次以检查为由收取企业费用",
                  investigation="经调查属实", state="verified", verified_on=start, sanction="blacklist",
                  sanction_start=start, sanction_end=start.replace(year=start.year + 3))
    db.session.add(v)
    db.session.flush()
    return v


def dismiss(expert, on=None):
    """An approved dismissal (第十三条), with the permits revoked at once as the lifecycle does."""
    on = on or today()
    db.session.add(Dismissal(expert=expert, reason="1", state="approved", effective_on=on, decision_note="同意"))
    expert.stage = "dismissed"
    revoke_permits(expert, "解聘")
    db.session.flush()


def end_term(expert):
    """Move the expert's terms into the past: the term is over (第六条)."""
    for term in db.session.query(Term).filter(Term.expert_id == expert.id):
        term.start_date = today() - dt.timedelta(days=3 * 365 + 10)
        term.end_date = today() - dt.timedelta(days=1)
    db.session.flush()
