"""Demo data for using experts (第十四—十六、十九条): requests drawn, answered and completed
through the dispatch services, each at its own moment (:mod:`app.demo.moments`), so that
every record is one the application itself could have made (draws replay, service records
match their assignments, times are the times the services wrote).

- the previous and the current quarter: completed inspections, an accident investigation,
  night and holiday emergencies — with service records, so the fee screens have data;
- an emergency of 湖塘镇 whose paperwork is overdue, and a recent one still within time;
- an upcoming inspection: one expert accepted, one declined without a justified reason
  (the backup was called in), notices issued, one received online;
- a job waiting for the answer of the demo ``expert`` login, and one he completed;
- an expert with three unjustified declines in a row: on the dismissal-proposal list;
- a request not yet drawn, to show the candidates and the 随机抽取 button.

Each scenario runs in a savepoint: with a small demo pool one may find too few eligible
experts and is then skipped rather than breaking the demo.
"""
from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from app import clock
from app.demo.moments import at, at_moment, quarter_start, working_day
from app.demo.people import staff_of
from app.demo.signatures import receipt_filled
from app.extensions import db
from app.services.calendar_data import load_calendar
from app.services.dispatch import (
    assignments,
    completion,
    designation,
    draws,
    notices,
    paperwork,
    responses,
    usage_requests,
)
from app.services.dispatch.candidates import candidates as job_candidates
from app.services.errors import DomainError
from app.services.status import statuses_for
from models import Enterprise, Expert, ExpertGroup, Opinion, User

SIGNERS = ["王海燕", "李建军", "陈静", "张卫国", "刘晓东", "周敏", "徐国强"]


def _at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return clock.at_local(day, dt.time(hour, minute))


_working_day = working_day
_quarter_start = quarter_start


def _seed(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _paper_scan(enterprise: str, signer: str, day: dt.date) -> bytes:
    """A drawn stand-in for a photographed paper 回执 (PNG)."""
    img = Image.new("RGB", (900, 420), (250, 250, 246))
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 26)
        small = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 22)
    except OSError:
        font = small = ImageFont.load_default()
    d.text((250, 30), "武进区安全生产专家服务告知书回执", fill=(20, 20, 20), font=font)
    d.text((40, 110), "武进区应急管理局：", fill=(20, 20, 20), font=small)
    d.text((80, 160), "贵局的专家服务告知书我单位已收悉，感谢贵局的热情服务！", fill=(20, 20, 20), font=small)
    d.text((40, 260), f"签收单位（盖章）：{enterprise}", fill=(20, 20, 20), font=small)
    d.text(
        (40, 320),
        f"签收人：{signer}      签收时间：{day.year}年{day.month}月{day.day}日",
        fill=(20, 20, 20),
        font=small,
    )
    d.ellipse((620, 210, 800, 390), outline=(200, 30, 30), width=5)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


class _Demo:
    def __init__(self, rng, today, units, experts, enterprises):
        self.rng, self.today, self.units = rng, today, units
        self.enterprises = enterprises
        self.users = {u.username: u for u in db.session.scalars(select(User))}
        self.expert_login = self.users.get("expert")

    def user_of(self, unit):
        return staff_of(unit)

    def ents(self, k=1, avoid=()):
        choices = [e for e in self.enterprises if e.id not in avoid]
        return self.rng.sample(choices, k=min(k, len(choices)))

    def request(self, unit, activity, subject, start, end=None, *, groups, k_ents=1, headcount=1, backups=1,
                emergency=None, description=None, draw=True, ents=None, called_at=(9, 15)):
        """The unit enters the request (three days ahead, an emergency on the day) and draws."""
        creator = self.user_of(unit)
        entered = start if emergency else min(start - dt.timedelta(days=3), self.today)
        with at(entered, *called_at):
            req = usage_requests.create_request(
                unit=unit, activity_type=activity, subject=subject, start_date=start, end_date=end or start,
                groups=groups, enterprises=ents or self.ents(k_ents), headcount=headcount, backups=backups,
                emergency_reason=emergency, description=description, created_by=creator, seed=_seed(self.rng),
            )
            if draw and not req.draws:
                draws.draw(req, creator, seed=_seed(self.rng))
        return req

    def answer(self, req, response="accepted", *, reason=None, when=None, actor=None):
        a = next(x for x in req.assignments if not x.is_backup and x.response == "pending")
        when = min(when or _at(req.start_date - dt.timedelta(days=2), 11), clock.utcnow())
        with at_moment(when):
            return a, responses.respond(a, response, reason=reason, actor=actor or self.user_of(req.unit), now=when)

    def accept_all(self, req, when=None):
        while any(not x.is_backup and x.response == "pending" for x in req.assignments):
            self.answer(req, when=when)

    def complete_all(self, req, units=None, started_at=None):
        with at(min(req.end_date, self.today), 18):
            for a in assignments.active_assignments(req):
                if a.response == "accepted" and a.completed_at is None:
                    completion.complete_assignment(a, attended=True, units=units, started_at=started_at,
                                                   actor=self.user_of(req.unit))

    def notices(self, req, received=1.0, paper=False):
        with at(min(req.start_date, self.today), 8, 30):
            made = notices.issue_notices(req)
        for n in made:
            if self.rng.random() >= received:
                continue
            signer = self.rng.choice(SIGNERS)
            day = min(req.start_date + dt.timedelta(days=self.rng.randint(0, 2)), self.today)
            if paper:
                with at(day, 17):
                    notices.record_paper_receipt(n, _paper_scan(n.enterprise.name, signer, day), signer_name=signer,
                                                 signed_on=day)
            else:
                moment = _at(day, 14, self.rng.randint(0, 59))
                with at_moment(moment):
                    notices.confirm_receipt(n.token, receipt_filled(signer), now=moment)
        return made


def jobs(rng: random.Random, today: dt.date, units: dict, experts: list, enterprises: list) -> list:
    """Requests, draws, answers, completions, service records and notices (see module docstring),
    as (date entered, function, args, kwargs) for ``app.demo.seed`` to run in calendar order."""
    demo = _Demo(rng, today, units, experts, enterprises)
    plans = []

    def _scenario(fn, *args, entered: dt.date | dt.datetime) -> None:
        plans.append((entered, fn, args, {}))

    brigade = units["应急管理综合行政执法大队一中队"]
    brigade2 = units["应急管理综合行政执法大队二中队"]
    chem_section = units["危险化学品安全监督管理科"]
    trade_section = units["工贸行业安全监督管理科"]
    hutang = units["湖塘镇"]
    niutang = units["牛塘镇"]
    groups = {g.name: g for g in db.session.scalars(select(ExpertGroup))}
    this_q = _quarter_start(today)
    last_q = _quarter_start(this_q - dt.timedelta(days=1))

    def g(*names):
        return [groups[n].id for n in names if n in groups]

    # --- the previous quarter: completed work with service records --------------------
    def past_inspection(day, unit, activity, subject, group_names, headcount, days=1, paper=False):
        start = _working_day(day)
        end = _working_day(start + dt.timedelta(days=days - 1), 1) if days > 1 else start
        req = demo.request(unit, activity, subject, start, end, groups=g(*group_names), headcount=headcount,
                           backups=1, k_ents=rng.choice([1, 2]))
        demo.accept_all(req)
        demo.complete_all(req, units=(end - start).days + 1)
        demo.notices(req, paper=paper)

    def ahead(day):  # a planned job is entered three days before it starts
        return _working_day(day) - dt.timedelta(days=3)

    for offset, unit, activity, subject, group_names, *rest in (
        (15, brigade, "inspection", "危险化学品企业专项执法检查", ["化工"], 2, 2),
        (40, brigade2, "hazard_check", "粉尘涉爆企业隐患排查", ["金属粉尘", "木质粉尘"], 2, 1, True),
        (62, trade_section, "rectification_acceptance", "重大事故隐患整改验收", ["机械", "电气"], 1),
        (75, niutang, "inspection", "有限空间作业专项检查", ["有限空间"], 1),
    ):
        day = last_q + dt.timedelta(days=offset)
        _scenario(past_inspection, day, unit, activity, subject, group_names, *rest, entered=ahead(day))

    def past_accident(day):
        start = _working_day(day)
        req = demo.request(chem_section, "accident_investigation", "某化工企业中毒事故调查", start,
                           _working_day(start + dt.timedelta(days=2), 1), groups=g("化工"), headcount=2, backups=1,
                           description="一般生产安全事故，需化工专业专家参加事故调查分析。")
        demo.accept_all(req)
        demo.complete_all(req, units=1)
        demo.notices(req)

    _scenario(past_accident, last_q + dt.timedelta(days=50), entered=ahead(last_q + dt.timedelta(days=50)))

    # A day off in the previous quarter (a weekend or a holiday): the holiday rate applies.
    day_off = last_q + dt.timedelta(days=20)
    while load_calendar().covers(day_off.year) and load_calendar().is_working_day(day_off):
        day_off += dt.timedelta(days=1)

    def holiday_emergency(day):
        req = demo.request(hutang, "emergency", "企业储罐泄漏应急救援处置", day, groups=g("化工"), headcount=1,
                           backups=1, emergency="emergency", description="储罐法兰泄漏，现场处置。", called_at=(13, 50))
        demo.accept_all(req, when=_at(day, 13, 55))
        demo.complete_all(req, started_at=dt.datetime.combine(day, dt.time(14, 20)))
        done = _at(day + dt.timedelta(days=2), 9)
        with at_moment(done):
            paperwork.complete_paperwork(req, "已补录使用申请及现场处置情况，镇应急办审批。",
                                         actor=demo.user_of(hutang), now=done)
        demo.notices(req)

    _scenario(holiday_emergency, day_off, entered=dt.datetime.combine(day_off, dt.time(13, 50)))

    # --- the current quarter ----------------------------------------------------------
    _scenario(past_inspection, this_q + dt.timedelta(days=9), brigade, "inspection", "冶金煤气安全执法检查",
              ["冶金煤气", "金属冶炼"], 2, 1, entered=ahead(this_q + dt.timedelta(days=9)))
    _scenario(past_inspection, this_q + dt.timedelta(days=22), brigade2, "standardization", "安全生产标准化评审",
              ["机械"], 1, 2, entered=ahead(this_q + dt.timedelta(days=22)))

    def overdue_emergency():
        # 湖塘镇 used an expert at night about two weeks ago; the paperwork is overdue.
        day = today - dt.timedelta(days=13)
        req = demo.request(hutang, "emergency", "某企业粉尘爆炸应急救援处置", day, groups=g("金属粉尘", "机械"),
                           headcount=1, backups=1, emergency="emergency", called_at=(22, 40))
        demo.accept_all(req, when=_at(day, 22, 46))
        demo.complete_all(req, started_at=dt.datetime.combine(day, dt.time(23, 10)))
        demo.notices(req, received=0.0)

    _scenario(overdue_emergency, entered=dt.datetime.combine(today - dt.timedelta(days=13), dt.time(22, 40)))

    def recent_supervision():
        # 执法大队一中队: a 督查 yesterday, paperwork still within its three working days.
        day = _working_day(today - dt.timedelta(days=1))
        req = demo.request(brigade, "inspection", "举报线索督查：某企业违规动火作业", day, groups=g("化工", "有限空间"),
                           headcount=2, backups=1, emergency="report_check", called_at=(8, 30))
        demo.accept_all(req, when=_at(day, 8, 45))
        demo.complete_all(req, units=1)
        demo.notices(req, received=0.5)

    yesterday = _working_day(today - dt.timedelta(days=1))
    _scenario(recent_supervision, entered=dt.datetime.combine(yesterday, dt.time(8, 30)))

    def upcoming_inspection():
        # Next week: one accepted, one declined without a reason → the backup is called in.
        start = _working_day(today + dt.timedelta(days=7), 1)
        req = demo.request(brigade, "inspection", "年末危险化学品企业专项执法检查", start,
                           _working_day(start + dt.timedelta(days=1), 1), groups=g("化工"), headcount=2, backups=2,
                           k_ents=2)
        demo.answer(req, "accepted", when=_at(today, 9))
        demo.answer(req, "declined_unjustified", when=_at(today, 10))
        issued = demo.notices(req, received=0.0)
        if issued:
            moment = _at(today, 15, 40)
            with at_moment(moment):
                notices.confirm_receipt(issued[0].token, receipt_filled("王海燕"), now=moment)

    _scenario(upcoming_inspection, entered=today)

    def absent_expert(start):
        # One of three unjustified declines in a row (第十三条(四)): the third proposes dismissal.
        pool = [e for e in experts if e.source == "district"]
        req = demo.request(trade_section, "hazard_check", "工贸企业安全隐患排查", start, groups=g("机械"),
                           headcount=1, backups=1, draw=False)
        with at(min(start - dt.timedelta(days=3), today), 9, 40):
            cands = job_candidates(req)
            target = next((e for e in pool if e.id in cands.eligible_ids and e.id == pool_target[0]), None)
            if target is None:
                raise DomainError("演示：目标专家不可选")
            a = designation.designate(req, target, "熟悉该类企业的机械安全问题，指定参加", demo.user_of(trade_section))
        declined = _at(start - dt.timedelta(days=1))
        with at_moment(declined):
            responses.respond(a, "declined_unjustified", actor=demo.user_of(trade_section), now=declined)
            # Nobody was left in reserve, so the unit draws a replacement.
            draws.draw(req, demo.user_of(trade_section), seed=_seed(rng))

    machinery = groups.get("机械")
    usable = statuses_for([e.id for e in experts], this_q)
    candidates = [e for e in experts if machinery in e.groups and e.source == "district" and e is not experts[0]
                  and usable[e.id].dispatchable]
    pool_target = [candidates[-1].id] if candidates else [None]
    # Three days in a row early in the quarter.
    starts = [_working_day(this_q + dt.timedelta(days=1), 1)]
    while len(starts) < 3:
        starts.append(_working_day(starts[-1] + dt.timedelta(days=1), 1))
    for start in starts:
        _scenario(absent_expert, start, entered=start - dt.timedelta(days=3))

    me = experts[0]

    def demo_expert_done():
        # The demo ``expert`` login: a finished job …
        done_day = _working_day(this_q + dt.timedelta(days=12))
        past = demo.request(chem_section, "inspection", "危险化学品储存场所专项检查", done_day,
                            groups=[gr.id for gr in me.groups], headcount=1, backups=0, draw=False,
                            ents=demo.ents(1, avoid=_conflicted(me)))
        with at(min(done_day - dt.timedelta(days=3), today), 9, 20):
            designation.designate(
                past, me, "该专家长期从事危险化学品储存安全，熟悉相关标准", demo.user_of(chem_section)
            )
        demo.accept_all(past)
        demo.complete_all(past, units=1)
        demo.notices(past)

    def demo_expert_waiting():
        # … and one waiting for his answer.
        start = _working_day(today + dt.timedelta(days=4), 1)
        upcoming = demo.request(brigade, "hazard_check", "岁末年初重点企业安全隐患排查", start,
                                groups=[gr.id for gr in me.groups], headcount=1, backups=1, draw=False,
                                ents=demo.ents(2, avoid=_conflicted(me)))
        with at(today, 9, 25):
            designation.designate(upcoming, me, "排查涉及该专家擅长的领域，指定参加", demo.user_of(brigade))

    _scenario(demo_expert_done, entered=_working_day(this_q + dt.timedelta(days=12)) - dt.timedelta(days=3))
    _scenario(demo_expert_waiting, entered=today)

    def not_yet_drawn():
        start = _working_day(today + dt.timedelta(days=10), 1)
        demo.request(hutang, "hazard_check", "镇域有限空间作业企业隐患排查", start, groups=g("有限空间", "化工"),
                     headcount=2, backups=2, k_ents=2, draw=False,
                     description="对镇域内涉及有限空间作业的企业开展隐患排查，需专家现场技术支持。")

    _scenario(not_yet_drawn, entered=today)
    return plans


def extend_demo(rng: random.Random, today: dt.date, units: dict, experts: list, enterprises: list) -> None:
    """Opinions and suggestions the experts sent (第九条(三)), one answered."""
    # Opinions and suggestions sent from the phone (第九条(三)), one answered on the reply form.
    me = experts[0]
    with at(today - dt.timedelta(days=6), 20, 10):
        opinion = Opinion(expert=me, subject="建议提前通知抽取结果",
                          body="建议抽取结果至少提前两个工作日通知专家，便于协调本单位工作安排。")
        db.session.add(opinion)
        db.session.flush()
    with at(today - dt.timedelta(days=3), 16):
        opinion.reply = "已采纳。自下月起，非紧急任务的抽取结果至少提前两个工作日通知。"
        opinion.replied_at = clock.utcnow()
        db.session.flush()
    if len(experts) > 2:
        with at(today - dt.timedelta(days=2), 21, 5):
            db.session.add(Opinion(expert=experts[2], subject="有限空间作业检查要点培训",
                                   body="希望组织一次有限空间作业新标准的专题培训，统一检查尺度。"))
            db.session.flush()


def _conflicted(expert: Expert) -> set[int]:
    """Enterprises the expert may not serve: recorded conflicts and his employer."""
    ids = {c.enterprise_id for c in expert.conflicts}
    ids.update(e.id for e in db.session.scalars(select(Enterprise).where(
        Enterprise.name == expert.employer)))
    return ids
