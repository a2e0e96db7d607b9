"""The queue pages through HTTP: menu counts, nothing ticked, the confirmation, the reason."""
import re

import pytest

from app.extensions import db
from app.services.permits import issuing
from models import Permit
from tests import factories
from tests.conftest import csrf_from


def _badge(html: str, label: str) -> int | None:
    m = re.search(label + r'\s*<span class="badge[^"]*"[^>]*>(\d+)</span>', html)
    return int(m.group(1)) if m else None


def test_the_leaders_menu_and_dashboard_count_what_waits(client, login_as, waiting):
    login_as("leader")
    home = client.get("/admin/").get_data(as_text=True)
    assert _badge(home, "待我审批") == 4
    assert "拟聘名单：" in home and "待处理的申请" not in home
    page = client.get("/admin/approvals/").get_data(as_text=True)
    for name in ("张三", "李四", "钱卫东", "省库专家"):
        assert name in page
    assert "checked" not in page  # nothing is pre-ticked


def test_others_have_no_leaders_queue(client, login_as, waiting):
    login_as("office")
    home = client.get("/admin/").get_data(as_text=True)
    assert "待我审批" not in home and _badge(home, "待我处理") is not None
    assert client.get("/admin/approvals/").status_code == 403


def test_a_decision_from_the_list_is_confirmed_with_names_and_count(client, login_as, waiting):
    login_as("leader")
    token = csrf_from(client.get("/admin/approvals/").get_data(as_text=True))
    keys = [f"appointment:{waiting['appointment'].id}", f"dismissal:{waiting['dismissal'].id}"]
    confirm = client.post("/admin/approvals/confirm/", data={"csrf_token": token, "keys": keys, "decision": "refuse"})
    html = confirm.get_data(as_text=True)
    assert "确认不同意（共 2 项）" in html and "张三" in html and "钱卫东" in html and "李四" not in html
    assert waiting["appointment"].state == "shortlisted"  # nothing saved before the confirmation

    # refused without a reason: the confirmation again, nothing changed
    again = client.post("/admin/approvals/confirm/", data={"csrf_token": token, "keys": keys, "decision": "refuse",
                                                            "confirmed": "1", "reason": ""})
    assert "须填写理由" in again.get_data(as_text=True)
    db.session.expire_all()
    assert waiting["appointment"].state == "shortlisted" and waiting["dismissal"].state == "proposed"

    done = client.post("/admin/approvals/confirm/", data={"csrf_token": token, "keys": keys, "decision": "refuse",
                                                           "confirmed": "1", "reason": "材料不全"},
                       follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "已不同意2项：张三、钱卫东。" in page
    assert _badge(page, "待我审批") == 2
    db.session.expire_all()
    assert waiting["appointment"].state == "rejected" and waiting["dismissal"].state == "rejected"


def test_one_item_from_its_own_page(client, login_as, waiting):
    login_as("leader")
    item = client.get(f"/admin/approvals/item/fee/{waiting['fee'].id}").get_data(as_text=True)
    assert "建议金额 1,800.00 元" in item and "批准金额…" in item
    confirm = client.get(f"/admin/approvals/confirm/?keys=fee:{waiting['fee'].id}&decision=approve")
    html = confirm.get_data(as_text=True)
    assert "确认同意（共 1 项）" in html and "省库专家" in html
    token = csrf_from(html)
    client.post("/admin/approvals/confirm/", data={"csrf_token": token, "keys": [f"fee:{waiting['fee'].id}"],
                                                    "decision": "approve", "confirmed": "1"})
    db.session.expire_all()
    assert waiting["fee"].amount == 1800


def test_nothing_ticked_is_refused(client, login_as, waiting):
    login_as("leader")
    token = csrf_from(client.get("/admin/approvals/").get_data(as_text=True))
    page = client.post("/admin/approvals/confirm/", data={"csrf_token": token, "decision": "approve"},
                       follow_redirects=True).get_data(as_text=True)
    assert "请先勾选要审批的事项" in page
    assert waiting["appointment"].state == "shortlisted"


def test_the_office_prints_the_permits_of_its_queue(client, login_as, app):
    login_as("office")
    member = factories.appointed_expert(name="孙立")
    permit = issuing.issue_permit(member, member.terms[0])
    db.session.commit()
    queue = client.get("/admin/office_queue/").get_data(as_text=True)
    assert "工作证待打印" in queue and "孙立" in queue
    page = client.get("/admin/office_queue/permits/").get_data(as_text=True)
    assert "checked" not in page
    response = client.post("/admin/office_queue/permits/",
                           data={"csrf_token": csrf_from(page), "ids": [str(permit.id)], "op": "print"})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    db.session.expire_all()
    assert db.session.get(Permit, permit.id).printed_at is not None
    assert "工作证待打印" not in client.get("/admin/office_queue/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["sysadmin", "office", "department", "town", "expert"])
def test_no_one_but_a_leader_reaches_the_decisions(client, login_as, waiting, role):
    login_as(role)
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    key = f"dismissal:{waiting['dismissal'].id}"
    item = f"/admin/approvals/item/dismissal/{waiting['dismissal'].id}"
    for url in (f"/admin/approvals/confirm/?keys={key}&decision=approve", item):
        assert client.get(url).status_code == 403
    response = client.post("/admin/approvals/confirm/", data={"csrf_token": token, "keys": [key],
                                                               "decision": "approve", "confirmed": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert waiting["dismissal"].state == "proposed"
    if role != "office":
        assert client.post("/admin/office_queue/permits/", data={"csrf_token": token, "op": "mark"}).status_code == 403
