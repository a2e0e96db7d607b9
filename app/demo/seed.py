"""Realistic demo data: 武进区's units, ~80 experts over the 12 groups, enterprises,
conflicts of interest and one login per role. Deterministic (fixed random seed).

Everything is made the way staff make it: the registry records as the admin forms enter
them, and every state after that — appointments, permits, jobs, evaluations, discipline,
fees — through the domain functions, each at its own back-dated moment
(:mod:`app.demo.moments`). The demo holds only what a user could have produced, is
audited like any other work, and ``flask check-integrity`` finds nothing in it.
"""
import datetime as dt
import io
import random

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select
from stdnum.cn import ric
from stdnum.cn import uscc as uscc_mod

from app import clock
from app.auth.passwords import hash_password
from app.demo.moments import at
from app.extensions import db
from app.services.errors import DomainError
from app.services.reference import ensure_reference_data
from app.services.uploads import store_photo
from models import (
    ConflictOfInterest,
    Enterprise,
    Expert,
    ExpertGroup,
    OrgUnit,
    User,
    WorkHistory,
)

DEMO_PASSWORD = "Demo#2026pass"

SECTIONS = ["安全生产基础科", "危险化学品安全监督管理科", "工贸行业安全监督管理科", "应急指挥中心", "综合科"]
BRIGADES = ["应急管理综合行政执法大队一中队", "应急管理综合行政执法大队二中队", "应急管理综合行政执法大队三中队"]
TOWNS = [
    ("town", "湖塘镇"), ("town", "牛塘镇"), ("town", "洛阳镇"), ("town", "遥观镇"), ("town", "横林镇"),
    ("town", "横山桥镇"), ("town", "雪堰镇"), ("town", "前黄镇"), ("town", "礼嘉镇"), ("town", "嘉泽镇"),
    ("town", "湟里镇"), ("subdistrict", "南夏墅街道"), ("subdistrict", "西湖街道"), ("subdistrict", "丁堰街道"),
    ("subdistrict", "潞城街道"), ("subdistrict", "戚墅堰街道"), ("devzone", "常州武进国家高新技术产业开发区"),
    ("devzone", "常州经济开发区"), ("devzone", "西太湖科技产业园"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = ["建国", "志强", "海涛", "立新", "国华", "晓东", "卫东", "文斌", "建华", "明", "伟", "敏", "静", "丽华",
         "红梅", "振宇", "俊杰", "德明", "永刚", "春林", "秀英", "玉兰", "新民", "国平", "洪波", "宏伟", "雪峰", "亚军",
         "学军", "晨"]
ROADS = ["武宜", "长虹", "延政", "常武", "湖滨", "人民"]
EMPLOYERS = {
    "化工": ["江苏常州化工研究所有限公司", "常州新东化工发展有限公司", "江苏长海复合材料股份有限公司"],
    "烟花爆竹": ["常州市烟花爆竹安全技术服务中心", "江苏安泰安全技术有限公司"],
    "冶金煤气": ["江苏中天钢铁集团有限公司", "常州东方特钢有限公司"],
    "机械": ["常州市武进机械工程学会", "江苏恒立液压股份有限公司", "常州常林机械有限公司"],
    "电气": ["国网江苏省电力有限公司常州供电分公司", "江苏上上电缆集团有限公司", "常州市电力设计院有限公司"],
    "建材": ["江苏金峰水泥集团有限公司", "常州市建筑科学研究院集团股份有限公司"],
    "纺织": ["江苏华利达纺织有限公司", "常州旭荣针织印染有限公司"],
    "轻工": ["常州市轻工业研究所", "江苏天目湖食品有限公司"],
    "金属冶炼": ["江苏常宝钢管股份有限公司", "常州宝菱重工机械有限公司"],
    "金属粉尘": ["常州市安全生产科学研究院", "江苏久诺建材科技股份有限公司"],
    "木质粉尘": ["江苏大亚家具有限公司", "常州市武进区家具行业协会"],
    "有限空间": ["常州市排水管理处", "江苏安科院安全技术有限公司", "常州工学院"],
}
TITLES = [("高级工程师", "associate_senior"), ("工程师", "intermediate"), ("正高级工程师", "senior"),
          ("注册安全工程师（中级）", "intermediate"), ("教授级高级工程师", "senior"), ("副教授", "associate_senior")]
SCHOOLS = ["南京工业大学", "江苏大学", "常州大学", "中国矿业大学", "河海大学", "南京理工大学", "江南大学", "东南大学"]
ENTERPRISES = [
    "常州华润化工有限公司", "江苏武进液压启闭机有限公司", "常州市武进红光无纺布有限公司", "常州天合光能有限公司",
    "江苏武进不锈股份有限公司", "常州市湖塘纺织印染有限公司", "江苏新日电动车股份有限公司", "常州市牛塘化工厂",
    "常州洛阳冶金铸造有限公司", "江苏遥观钢结构有限公司", "常州横林木业有限公司", "常州雪堰精密机械有限公司",
    "常州前黄家具制造有限公司", "江苏礼嘉粉末冶金有限公司", "常州嘉泽花木加工有限公司", "常州湟里建材有限公司",
    "常州南夏墅食品有限公司", "常州西湖塑胶有限公司", "常州武进燃气有限公司", "江苏常州有限空间作业服务有限公司",
    "常州市武进区污水处理有限公司", "常州东方特钢有限公司", "常州新北金属粉末有限公司", "常州武进烟花爆竹批发有限公司",
    "常州华达科捷光电仪器有限公司", "江苏恒立液压股份有限公司",
]


def _uscc(rng: random.Random, n: int) -> str:
    body = f"91320412{rng.choice('MN')}{rng.choice('ABCDE')}{n:07d}"[:17]
    return body + uscc_mod.calc_check_digit(body)


def _id_number(birth: dt.date, male: bool, n: int) -> str:
    order = (n * 2 + (1 if male else 0)) % 1000
    if order % 2 != (1 if male else 0):
        order = (order + 1) % 1000
    body = f"320483{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def _photo(name: str, rng: random.Random) -> bytes:
    """A locally drawn one-inch portrait placeholder: coloured background, silhouette, surname."""
    img = Image.new("RGB", (295, 413), rng.choice([(67, 142, 219), (219, 72, 72), (245, 245, 245)]))
    d = ImageDraw.Draw(img)
    skin = (241, 194, 160)
    d.ellipse((97, 70, 198, 190), fill=skin)
    d.rectangle((132, 180, 163, 215), fill=skin)
    d.pieslice((40, 200, 255, 480), 180, 360, fill=rng.choice([(30, 30, 40), (60, 60, 80), (40, 50, 70)]))
    d.ellipse((92, 55, 203, 125), fill=(25, 25, 25))
    d.rectangle((97, 95, 198, 110), fill=skin)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 40)
        d.text((12, 10), name[0], fill=(255, 255, 255), font=font)
    except OSError:
        pass
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _units() -> dict[str, OrgUnit]:
    units = {}
    for name in SECTIONS:
        units[name] = OrgUnit(kind="section", name=name, contact_person="周焱" if name == "安全生产基础科" else None,
                              contact_phone="0519-86310627" if name == "安全生产基础科" else None)
    for name in BRIGADES:
        units[name] = OrgUnit(kind="brigade", name=name)
    for kind, name in TOWNS:
        units[name] = OrgUnit(kind=kind, name=name)
    db.session.add_all(units.values())
    return units


#: When the bureau entered its first roster (before the first 届's review).
SETUP_DAY = dt.date(2023, 10, 9)


def seed_demo(only_if_empty: bool = False, experts: int = 80, today: dt.date | None = None) -> bool:
    """Load the demo data; with ``only_if_empty`` do nothing if experts exist. Commits.

    The demo is audited like anybody's work (``flask check-integrity`` checks it).
    """
    ensure_reference_data()
    if only_if_empty and db.session.scalar(select(func.count()).select_from(Expert)):
        db.session.commit()
        return False
    today = today or clock.today()
    with at(min(SETUP_DAY, today)):
        made, units, enterprises = _registry(experts, today)
    for step in _steps():
        step(rng=_rng(step), today=today, units=units, experts=made, enterprises=enterprises)
    db.session.commit()
    return True


def _rng(step) -> random.Random:
    """Each step its own deterministic stream: one area's data stays put when another changes."""
    return random.Random(f"20261128-{step.__module__}.{step.__name__}")


def _registry(experts: int, today: dt.date) -> tuple[list[Expert], dict[str, OrgUnit], list[Enterprise]]:
    """Units, enterprises, the experts' 附件2 records and the logins, as the admin forms enter them."""
    rng = random.Random(20261128)
    units = _units()
    towns = [units[name] for _, name in TOWNS]
    groups = {g.name: g for g in db.session.scalars(select(ExpertGroup))}
    group_names = list(groups)

    enterprises = []
    for i, name in enumerate(ENTERPRISES, start=1):
        ent = Enterprise(
            name=name,
            uscc=_uscc(rng, 1000 + i),
            town=rng.choice(towns),
            address=f"常州市武进区{rng.choice(ROADS)}路{rng.randint(1, 999)}号",
            contact_person=rng.choice(SURNAMES) + rng.choice(["经理", "主任", "科长"]),
            contact_phone=f"0519-8{rng.randint(1000000, 9999999)}",
        )
        enterprises.append(ent)
    db.session.add_all(enterprises)

    made = []
    used_names = set()
    for n in range(experts):
        main_group = group_names[n % len(group_names)]
        while True:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if name not in used_names:
                used_names.add(name)
                break
        male = rng.random() < 0.8
        birth = dt.date(rng.randint(1958, 1988), rng.randint(1, 12), rng.randint(1, 28))
        title, level = rng.choice(TITLES)
        employer = rng.choice(EMPLOYERS[main_group])
        start_year = birth.year + 23
        expert = Expert(
            serial_no=f"WJZJ{2024}{n + 1:03d}",
            name=name,
            gender="male" if male else "female",
            birth_date=birth,
            ethnicity="汉族",
            party=rng.choice(["中共党员", "群众", "群众", "九三学社社员"]),
            birthplace=rng.choice(["江苏常州", "江苏无锡", "江苏苏州", "安徽合肥", "浙江湖州"]),
            employer=employer,
            supervising_dept=rng.choice(
                ["常州市武进区工业和信息化局", "常州市国有资产监督管理委员会", "常州市武进区应急管理局"]
            ),
            position=rng.choice(["安全总监", "技术部经理", "总工程师", "安全环保部部长", "副总经理", "高级顾问"]),
            title=title,
            title_level=level,
            graduated_from=rng.choice(SCHOOLS),
            education=rng.choice(["bachelor", "bachelor", "master", "junior_college", "doctor"]),
            full_time_education=rng.random() < 0.7,
            profession=main_group + "安全",
            specialty=f"{main_group}行业安全生产检查、隐患排查与事故调查",
            registered_safety_engineer=rng.random() < 0.5,
            registered_safety_assessor=rng.random() < 0.15,
            id_number=_id_number(birth, male, n + 1),
            retired=birth.year < 1964,
            address=f"常州市武进区湖塘镇{rng.choice(['花园', '星河', '府南', '聚湖'])}新村{rng.randint(1, 60)}幢",
            wechat=f"wx_{n + 1:03d}",
            work_phone=f"0519-8{rng.randint(1000000, 9999999)}",
            mobile=f"1{rng.choice('35789')}{rng.randint(100000000, 999999999)}",
            email=f"expert{n + 1:03d}@example.cn",
            field_start_year=start_year,
            achievements=f"长期从事{main_group}行业安全管理工作，参与多起隐患排查和事故调查。",
            awards=rng.choice(["", "常州市安全生产先进个人", "江苏省安全生产科技进步三等奖"]),
            own_opinion="本人自愿加入武进区安全生产专家库，遵守专家管理办法。",
            recommender_opinion="同意推荐。",
            recommender_contact="周焱",
            recommender_phone="0519-86310627",
            review_opinion="符合聘任条件。",
            source="district",
            stage="not_appointed",
            town=rng.choice(towns),
            health_declared=True,
            ethics_declared=True,
        )
        extra = rng.sample([g for g in group_names if g != main_group], k=rng.choice([0, 0, 1, 2]))
        expert.groups = [groups[main_group]] + [groups[g] for g in extra]
        expert.work_history = [
            WorkHistory(position_no=1, period=f"{start_year}.07-{start_year + 8}.06",
                        employer=rng.choice(EMPLOYERS[main_group]), department="生产技术部", position="技术员",
                        title="助理工程师"),
            WorkHistory(position_no=2, period=f"{start_year + 8}.07-至今", employer=employer, department="安全环保部",
                        position=expert.position, title=title),
        ]
        try:
            expert.photo_path, expert.photo_thumb_path = store_photo(_photo(name, rng))
        except DomainError:
            pass
        db.session.add(expert)
        made.append(expert)
    db.session.flush()

    # Entered as on record, not appointed: one in ten is still an applicant (app.demo.lifecycle
    # walks them through 第十二条), the others form the first 届 (lifecycle.appoint_first_cohort).

    # Each expert's employer counts as a conflict; a few declared ones besides.
    by_name = {e.name: e for e in enterprises}
    for expert in made:
        if expert.employer in by_name:
            db.session.add(ConflictOfInterest(expert=expert, enterprise=by_name[expert.employer],
                                              relation="current_employer", source="office"))
    for expert in rng.sample(made, 6):
        db.session.add(ConflictOfInterest(expert=expert, enterprise=rng.choice(enterprises), relation="contract",
                                          source="expert", note="曾为该企业提供安全咨询服务"))

    demo_expert = made[0]
    accounts = [
        ("admin", "系统管理员", "sysadmin", None, None),
        ("secadmin", "安全管理员", "secadmin", None, None),
        ("auditor", "安全审计员", "auditor", None, None),
        ("office", "周焱", "office", units["安全生产基础科"], None),
        ("dept", "钱立军", "department", units["应急管理综合行政执法大队一中队"], None),
        ("town", "孙晓燕", "town", units["湖塘镇"], None),
        ("leader", "局长", "leader", None, None),
        ("expert", demo_expert.name, "expert", None, demo_expert),
    ]
    pw = hash_password(DEMO_PASSWORD)
    for username, full_name, role, unit, expert in accounts:
        db.session.add(User(username=username, full_name=full_name, role=role, org_unit=unit, expert=expert,
                            password_hash=pw, active=True))
    db.session.flush()
    return made, units, enterprises


def _steps():
    """The demo's areas in the order their events happen: the first 届 is appointed (2024),
    permits are scanned, last year is assessed and this year's violations are verified
    before this year's jobs are drawn (a suspended expert is not drawn), jobs are done and
    scored, and at the end the quarter's fees are priced, batched and paid."""
    from app.demo import discipline, dispatch, fees, lifecycle, permits, scoring

    return [lifecycle.appoint_first_cohort, lifecycle.extend_demo, permits.extend_demo, discipline.extend_demo,
            scoring.extend_demo, _jobs, dispatch.extend_demo, fees.extend_demo]


def _jobs(rng, today, units, experts, enterprises):
    """The year's jobs of the dispatch and scoring areas, run in the order they were entered
    (so that request numbers follow the calendar). A job that finds no eligible expert in a
    small demo pool is skipped (its savepoint rolled back), as a unit would drop it."""
    from app.demo import dispatch, scoring

    plans = []
    for area in (dispatch.jobs, scoring.jobs):
        plans.extend(area(rng=_rng(area), today=today, units=units, experts=experts, enterprises=enterprises))
    def moment(entered):  # a day means the office hour requests are entered at
        return entered if isinstance(entered, dt.datetime) else dt.datetime.combine(entered, dt.time(9, 15))

    for _entered, _n, fn, args, kwargs in sorted((moment(p[0]), n, *p[1:]) for n, p in enumerate(plans)):
        savepoint = db.session.begin_nested()
        try:
            fn(*args, **kwargs)
            savepoint.commit()
        except DomainError:
            savepoint.rollback()
            # Objects outside the savepoint still hold what it made in their collections (an
            # expert's assignments, a unit's requests): reloaded, or the next flush would insert
            # the rolled-back draw again under its old id.
            db.session.expire_all()
