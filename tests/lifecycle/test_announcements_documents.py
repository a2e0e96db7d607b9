"""公告 and the printed documents: only public facts, the attachments' wording (pdftotext)."""
import datetime as dt
import subprocess

import pytest

from app import clock
from app.services.errors import DomainError
from app.services.lifecycle import announcements as ann
from app.services.lifecycle import dismissal as dm
from app.services.lifecycle import documents as docs
from app.services.lifecycle import review, terms
from models import WorkHistory
from tests import factories
from tests.lifecycle.records import make_applicant, make_application

TODAY = clock.today()


@pytest.mark.parametrize("n, text", [(1, "一"), (3, "三"), (10, "十"), (12, "十二"), (20, "二十"), (21, "二十一")])
def test_cohort_in_chinese_numerals(n, text):
    assert ann.cn_cohort(n) == text


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def new_terms(app, office):
    made = []
    for name, group, employer in (("王建国", "化工", "江苏常州化工研究所有限公司"), ("李海涛", "机械", "常州大学")):
        expert = make_applicant(
            name=name, groups=(group, "有限空间"), employer=employer, address="常州市武进区湖塘镇某路1号"
        )
        made.append(terms.start_term(expert, cohort=3, doc_no="武应急〔2026〕12号", start_date=dt.date(2026, 7, 1),
                                     actor=office))
    return made


def test_appointment_announcement_keeps_only_public_facts(app, office, new_terms):
    a = ann.create_appointment_announcement(new_terms, office)
    assert a.kind == "appointment" and not a.published and a.doc_no == "武应急〔2026〕12号"
    assert [(e.name, e.groups, e.employer) for e in a.entries] == [
        ("李海涛", "机械、有限空间", "常州大学"), ("王建国", "化工、有限空间", "江苏常州化工研究所有限公司")]
    assert "第三届" in a.title and "王建国" not in a.title
    assert "2026年7月1日" in a.body
    text = squash(pdf_text(docs.announcement_pdf(a)[1]))
    assert "（草稿）" in text
    for expert_term in new_terms:
        e = expert_term.expert
        assert e.name in text and e.employer in text
        assert e.id_number not in text and e.mobile not in text and "湖塘镇某路" not in text
    assert "特此公告。" in text and "武进区应急管理局" in text


def test_publish_sets_the_announcement_date_of_the_terms(app, office, leader, new_terms):
    a = ann.create_appointment_announcement(new_terms, office)
    with pytest.raises(DomainError, match="只有基础科"):
        ann.publish_announcement(a, leader)
    ann.publish_announcement(a, office, on=dt.date(2026, 7, 2))
    assert a.published and a.published_on == dt.date(2026, 7, 2)
    assert all(t.announced_on == dt.date(2026, 7, 2) for t in new_terms)
    with pytest.raises(DomainError, match="已发布"):
        ann.publish_announcement(a, office)
    with pytest.raises(DomainError, match="已公告过"):
        ann.create_appointment_announcement(new_terms, office)
    text = squash(pdf_text(docs.announcement_pdf(a)[1]))
    assert "（草稿）" not in text and "2026年7月2日" in text


def test_drafts_do_not_double_count(app, office, new_terms):
    ann.create_appointment_announcement(new_terms[:1], office)
    with pytest.raises(DomainError, match="草稿"):
        ann.create_appointment_announcement(new_terms, office)


def test_dismissal_announcement_only_for_approved(app, office, leader):
    expert = factories.appointed_expert(name="赵卫东", employer="常州某机械有限公司")
    proposal = dm.propose_by_office(expert, "1", "本人书面申请", office)
    with pytest.raises(DomainError, match="已批准"):
        ann.create_dismissal_announcement([proposal], office)
    dm.approve_dismissal(proposal, leader)
    a = ann.create_dismissal_announcement([proposal], office, doc_no="武应急〔2026〕40号")
    assert proposal.announcement_id == a.id
    with pytest.raises(DomainError, match="已编入公告"):
        ann.create_dismissal_announcement([proposal], office)
    text = squash(pdf_text(docs.announcement_pdf(a)[1]))
    assert "赵卫东" in text and "第十三条" in text and "解聘" in text and expert.id_number not in text


def test_commitment_letter_pdf_is_attachment_1_with_the_name(app):
    expert = make_applicant(name="刘大地")
    name, data = docs.commitment_letter_pdf(expert)
    text = squash(pdf_text(data))
    assert name == "刘大地专家服务承诺书.pdf"
    assert "武进区安全生产专家服务承诺书" in text
    assert "在配合区应急管理局开展安全生产检查、隐患排查及重大隐患整改验收等工作期间，本人承诺严格做到：" in text
    assert "6.不借区应急管理局名义开展包括标准化创建辅导、安全托管服务、推销产品等商业活动；" in text
    assert "如出现违反承诺书内容情况，自愿按《武进区安全生产专家管理办法》接受处理。" in text
    assert "承诺人：刘大地" in text


def test_registration_form_pdf_named_after_name_and_trade(app):
    expert = make_applicant(name="刘大地", profession="钢铁", groups=("冶金煤气",), employer="江苏某钢铁集团有限公司",
                            mobile="13912345678", recommender_opinion="同意推荐", recommender_contact="王小明",
                            recommender_phone="0519-86310003")
    expert.work_history = [WorkHistory(position_no=1, period="1995.07-至今", employer="江苏某钢铁集团有限公司",
                                       department="安全环保部", position="副部长", title="高级工程师")]
    application = make_application(expert)
    name, data = docs.registration_form_pdf(expert, application)
    assert name == "刘大地钢铁.pdf"
    text = squash(pdf_text(data))
    assert "武进区安全生产专家推荐/自荐信息登记表" in text
    assert "刘大地" in text and expert.id_number in text and "13912345678" in text
    assert "1995.07-至今" in text and "王小明" in text
    masked = squash(pdf_text(docs.registration_form_pdf(expert, application, masked=True)[1]))
    assert expert.id_number not in masked and "13912345678" not in masked


def test_candidate_list_pdf(app, office):
    apps = []
    for name, score in (("陈静", "92.5"), ("张卫国", "81")):
        a = make_application(make_applicant(name=name), state="prelim_passed")
        review.record_test_result(a, office, True, score)
        review.shortlist([a], office)
        apps.append(a)
    name, data = docs.candidate_list_pdf(review.shortlisted(), on=dt.date(2026, 6, 20))
    text = squash(pdf_text(data))
    assert "武进区安全生产专家拟聘名单" in text and "提请局长办公会议审定" in text
    assert "陈静" in text and "92.5" in text and "张卫国" in text and "81" in text
    assert "2026年6月20日" in text
    assert name == "拟聘专家名单20260620.pdf"
