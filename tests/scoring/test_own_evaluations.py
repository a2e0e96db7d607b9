"""我的评价 on the expert's phone (issue 19 §5): each evaluation's date, matter, total and item
scores; never who evaluated, the unit, the enterprise, the notes or the follow-up text."""
import datetime as dt

from app.services.scoring import evaluations as scoring
from models import FollowUp
from tests import factories
from tests.scoring.records import form_v1, full_scores, item_at


def _evaluate(expert, unit, scorer, day, scores, **kw):
    entry = scoring.EvaluationEntry(
        form_id=form_v1().id, variant="A", expert_id=expert.id,
        enterprise_name=kw.get("enterprise", "常州绝密化工有限公司"),
        matter=kw.get("matter", "执法检查：危险化学品企业专项执法检查"), evaluator_name="评价人张秘密",
        evaluated_on=day, scores=scores, problems=kw.get("problems", {}), suggestions="意见建议勿示专家")
    return scoring.save_evaluation(entry, by=scorer, today=day)[0]


def test_the_expert_sees_his_scores_and_nothing_about_who(app, db, client, auth):
    me = factories.appointed_expert(name="李海涛")
    other = factories.appointed_expert(name="王建国")
    unit = factories.org_unit(name="湖塘镇保密单位", kind="town")
    scorer = factories.user("town", org_unit_=unit)
    form = form_v1()
    scores = full_scores(form)
    scores[item_at(form, 3).id] = 4  # 专家意见的合理性… 4 / 10
    _evaluate(me, unit, scorer, dt.date(2026, 3, 5), scores, problems={item_at(form, 3).id: "意见笼统问题勿示"})
    _evaluate(me, unit, scorer, dt.date(2026, 6, 9), full_scores(form), matter="隐患排查：重点企业安全隐患排查")
    _evaluate(other, unit, scorer, dt.date(2026, 6, 10), full_scores(form), matter="别人的考评事项")
    db.session.add(FollowUp(expert=me, visited_on=dt.date(2026, 6, 20), satisfaction=2, comment="企业回访绝密内容"))
    factories.user("expert", username="lihaitao", expert_=me)
    db.session.commit()
    auth.login("lihaitao")
    assert "我的评价" in client.get("/m/").get_data(as_text=True)
    html = client.get("/m/evaluations").get_data(as_text=True)
    assert html.index("2026年6月9日") < html.index("2026年3月5日")  # newest first
    assert "隐患排查：重点企业安全隐患排查" in html and "执法检查：危险化学品企业专项执法检查" in html
    assert "94<small> / 100 分" in html and "100<small> / 100 分" in html
    assert "专家意见的合理性、具体性、可操作性" in html and "4 / 10" in html
    for secret in ("评价人张秘密", "湖塘镇保密单位", "常州绝密化工有限公司", "意见建议勿示专家", "意见笼统问题勿示",
                   "企业回访绝密内容", "别人的考评事项"):
        assert secret not in html, secret


def test_only_experts_see_the_page(app, db, client, login_as):
    login_as("town")
    assert client.get("/m/evaluations").status_code == 403
