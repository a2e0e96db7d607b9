"""The office's permit list: live scan status, printing a card and A4 sheets, 补办/换发, rights."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.services.permits.verification import check_permit
from models import Permit
from tests import factories
from tests.permits import records

CARD = (85.6, 54.0)
A4 = (210.0, 297.0)


def test_office_list_shows_permits_with_their_scan_status(app, client, login_as):
    expert, permit = records.permitted_expert(name="李海涛")
    records.suspend(expert)
    db.session.commit()
    login_as("office")
    html = client.get("/admin/permit/").get_data(as_text=True)
    assert "李海涛" in html and permit.permit_no in html
    assert "暂停（至" in html and "扫码核验结果" in html
    assert "打印工作证" in html and "批量打印（A4每页8张，正面）" in html


def test_office_prints_one_card_front_and_back(app, client, login_as, pdf_info):
    _, permit = records.permitted_expert(name="张志强", groups=("电气",))
    db.session.commit()
    login_as("office")
    response = client.get(f"/admin/permit/print/?id={permit.id}")
    assert response.mimetype == "application/pdf"
    sizes, text = pdf_info(response.data)
    assert sizes == [CARD, CARD]
    assert "张志强" in text and "电气" in text and permit.permit_no in text and "武进区应急管理局" in text
    assert f"/verify/{permit.token}" in text  # the address is printed beside the QR code


def test_batch_print_puts_eight_cards_on_an_a4_sheet(app, client, login_as, admin_post, pdf_info):
    permits = [records.permitted_expert(name=f"专家甲{i}")[1] for i in range(9)]
    db.session.commit()
    login_as("office")
    response = admin_post("/admin/permit/action/", {"action": "print_sheet", "rowid": [str(p.id) for p in permits]})
    assert response.mimetype == "application/pdf", response.get_data(as_text=True)[:500]
    sizes, text = pdf_info(response.data)
    assert sizes == [A4, A4]  # 9 cards: a full sheet of 8 and a second sheet
    assert all(f"专家甲{i}" in text for i in range(9)) and "沿裁切标记裁切" in text
    backs = admin_post(
        "/admin/permit/action/", {"action": "print_sheet_backs", "rowid": [str(p.id) for p in permits[:8]]}
    )
    sizes, text = pdf_info(backs.data)
    assert sizes == [A4, A4] and "使用须知" in text


def test_batch_print_skips_void_cards_and_refuses_expired_ones(app, client, login_as, admin_post):
    live_expert, live = records.permitted_expert(name="在聘甲")
    old_expert, old = records.permitted_expert(name="补办乙")
    from app.services.permits.issuing import reissue_permit

    reissue_permit(old_expert)
    expired_expert, expired = records.permitted_expert(name="期满丙")
    records.end_term(expired_expert)
    db.session.commit()
    login_as("office")
    response = admin_post("/admin/permit/action/", {"action": "print_sheet", "rowid": [str(live.id), str(old.id)]})
    assert response.mimetype == "application/pdf"
    refused = admin_post("/admin/permit/action/", {"action": "print_sheet", "rowid": [str(live.id), str(expired.id)]},
                         follow_redirects=True)
    html = refused.get_data(as_text=True)
    assert refused.mimetype == "text/html" and "以下工作证不能打印" in html and "期满丙" in html and "已过期" in html


def test_office_reissues_a_lost_card(app, client, login_as, admin_post):
    expert, permit = records.permitted_expert(name="王丽华")
    db.session.commit()
    old_token = permit.token
    login_as("office")
    form = client.get(f"/admin/permit/reissue/?id={permit.id}").get_data(as_text=True)
    assert "遗失补办" in form and "原证扫码立即显示“已作废”" in form
    response = admin_post("/admin/permit/reissue/", {"id": permit.id, "reason": "遗失补办"},
                          token_page=f"/admin/permit/reissue/?id={permit.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert check_permit(old_token, log=False).status == "revoked"
    new = db.session.scalar(select(Permit).where(Permit.expert_id == expert.id, Permit.revoked_at.is_(None)))
    assert new.token != old_token and new.permit_no == permit.permit_no
    assert db.session.get(Permit, permit.id).revoke_reason == "遗失补办"


def test_reissue_needs_a_known_reason_and_a_live_card(app, client, login_as, admin_post):
    _, permit = records.permitted_expert()
    db.session.commit()
    login_as("office")
    page = f"/admin/permit/reissue/?id={permit.id}"
    html = admin_post("/admin/permit/reissue/", {"id": permit.id, "reason": "随便"}, token_page=page,
                      follow_redirects=True).get_data(as_text=True)
    assert "请选择补办或换发的原因" in html
    db.session.expire_all()
    assert db.session.get(Permit, permit.id).revoked_at is None


def test_reissue_without_csrf_token_is_refused(app, client, login_as):
    _, permit = records.permitted_expert()
    db.session.commit()
    login_as("office")
    response = client.post("/admin/permit/reissue/", data={"id": permit.id, "reason": "遗失补办"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Permit, permit.id).revoked_at is None


@pytest.mark.parametrize("role", ["leader", "expert"])
def test_readers_can_neither_print_nor_reissue(app, client, login_as, admin_post, role):
    expert, permit = records.permitted_expert()
    db.session.commit()
    user = login_as(role)
    if role == "expert":
        user.expert_id = expert.id
        db.session.commit()
    assert client.get("/admin/permit/").status_code == 200
    assert client.get(f"/admin/permit/print/?id={permit.id}").status_code == 403
    assert client.get(f"/admin/permit/reissue/?id={permit.id}").status_code == 403
    response = admin_post("/admin/permit/action/", {"action": "print_sheet", "rowid": [str(permit.id)]})
    assert response.mimetype != "application/pdf"
    assert admin_post("/admin/permit/action/", {"action": "reissue", "rowid": [str(permit.id)]}).status_code in (
        302,
        403,
    )
    db.session.expire_all()
    assert db.session.get(Permit, permit.id).revoked_at is None


def test_an_expert_sees_only_his_own_permit(app, client, login_as):
    mine, my_permit = records.permitted_expert(name="本人甲")
    _, other = records.permitted_expert(name="别人乙")
    db.session.commit()
    user = login_as("expert")
    user.expert_id = mine.id
    db.session.commit()
    html = client.get("/admin/permit/").get_data(as_text=True)
    assert "本人甲" in html and "别人乙" not in html
    assert client.get(f"/admin/permit/details/?id={other.id}").status_code in (302, 404)


@pytest.mark.parametrize("role", ["department", "town"])
def test_units_have_no_permit_pages(app, client, login_as, role):
    _, permit = records.permitted_expert()
    db.session.commit()
    login_as(role)
    assert client.get("/admin/permit/").status_code == 403
    assert client.get(f"/admin/permit/print/?id={permit.id}").status_code == 403


@pytest.mark.parametrize("role", ["office", "sysadmin"])
def test_nobody_types_a_permit_in(app, client, login_as, role):
    _, permit = records.permitted_expert()
    db.session.commit()
    login_as(role)
    assert client.get("/admin/permit/new/").status_code == 403
    assert client.get(f"/admin/permit/edit/?id={permit.id}").status_code == 403


def test_expert_panel_shows_the_permit_and_offers_print_to_the_office(app, client, login_as):
    expert, permit = records.permitted_expert(name="周德明")
    db.session.commit()
    from app.services.permits.verification import check_permit as scan

    scan(permit.token, ip="192.0.2.1", secret="x")
    db.session.commit()
    login_as("office")
    html = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert "专家工作证：" in html and permit.permit_no in html and "扫码显示：有效" in html
    assert "累计被扫码核验 1 次" in html and "打印工作证" in html and "补办/换发" in html


def test_panel_for_a_leader_has_no_office_buttons(app, client, login_as):
    expert, permit = records.permitted_expert()
    db.session.commit()
    login_as("leader")
    html = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert permit.permit_no in html and "打印工作证" not in html and "补办/换发" not in html


def test_office_issues_a_permit_to_an_appointee_without_one(app, client, login_as, admin_post):
    expert = factories.appointed_expert(name="吴卫东")
    db.session.commit()
    login_as("office")
    html = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert "无有效工作证" in html and "签发工作证" in html
    response = admin_post("/admin/permit/issue/", {"expert_id": expert.id},
                          token_page=f"/admin/expert/details/?id={expert.id}")
    assert response.status_code == 302
    permit = db.session.scalar(select(Permit).where(Permit.expert_id == expert.id))
    assert permit is not None and check_permit(permit.token, log=False).status == "valid"
    again = admin_post("/admin/permit/issue/", {"expert_id": expert.id},
                       token_page=f"/admin/expert/details/?id={expert.id}", follow_redirects=True)
    assert "已有有效的工作证" in again.get_data(as_text=True)


def test_no_permit_for_an_expert_outside_a_term(app, client, login_as, admin_post):
    expert = factories.expert(name="未聘丁")
    db.session.commit()
    login_as("office")
    html = admin_post(
        "/admin/permit/issue/",
        {"expert_id": expert.id},
        token_page=f"/admin/expert/details/?id={expert.id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "不在聘期内" in html
    assert db.session.scalar(select(Permit).where(Permit.expert_id == expert.id)) is None


def test_office_picks_a_group_for_batch_printing(app, client, login_as):
    records.permitted_expert(name="化工甲", groups=("化工", "机械"))
    records.permitted_expert(name="电气乙", groups=("电气",))
    db.session.commit()
    login_as("office")
    # filter 1 is 专家组别; its operation 3 is 等于 (equals)
    html = client.get("/admin/permit/?flt1_3=电气").get_data(as_text=True)
    assert "电气乙" in html and "化工甲" not in html
    assert "列表 (1)" in html
