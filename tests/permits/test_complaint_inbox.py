"""The office's complaint inbox (附件3 第5点): confidential, linked to the expert, handled with a note."""
import pytest

from app.extensions import db
from app.services.discipline.complaints import file_complaint
from models import Complaint
from tests.permits import records


def _complaint(**kw):
    expert, permit = records.permitted_expert(name="钱国平")
    c = file_complaint(enterprise_name="常州保密企业有限公司", contact_name="举报人孙女士", contact_phone="13700001111",
                       body="专家要求我们购买指定的检测仪器，否则检查不通过。", permit_token=permit.token, **kw)
    db.session.commit()
    return expert, c


def test_office_sees_the_complaint_with_its_complainant(app, client, login_as):
    expert, c = _complaint()
    login_as("office")
    html = client.get("/admin/complaint/").get_data(as_text=True)
    assert c.complaint_no in html and "钱国平" in html and "举报人孙女士" in html and "13700001111" in html
    assert "待处理" in html
    details = client.get(f"/admin/complaint/details/?id={c.id}").get_data(as_text=True)
    assert "购买指定的检测仪器" in details


@pytest.mark.parametrize("role", ["leader", "department", "town", "expert"])
def test_nobody_else_sees_complainants(app, client, login_as, role):
    expert, c = _complaint(photo=records.photo_bytes())
    login_as(role)
    for url in ("/admin/complaint/", f"/admin/complaint/details/?id={c.id}", f"/admin/complaint/photo/?id={c.id}",
                f"/admin/complaint/edit/?id={c.id}"):
        assert client.get(url).status_code == 403, url
    # nor on the expert's page, which these roles may open
    page = client.get(f"/admin/expert/details/?id={expert.id}").get_data(as_text=True)
    assert "举报人孙女士" not in page and "13700001111" not in page and "常州保密企业有限公司" not in page


def test_office_handles_and_closes_with_a_note(app, client, login_as, admin_post):
    _, c = _complaint()
    login_as("office")
    edit = f"/admin/complaint/edit/?id={c.id}"
    form = client.get(edit).get_data(as_text=True)
    assert "举报人孙女士" in form and "购买指定的检测仪器" in form  # the complaint is read beside the form
    refused = admin_post(edit, {"state": "closed", "handling_note": "", "expert": str(c.expert_id)}, token_page=edit,
                         follow_redirects=True)
    assert "办结投诉时请填写处理情况" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Complaint, c.id).state == "new"
    admin_post(edit, {"state": "closed", "handling_note": "已约谈专家，责令改正。", "expert": str(c.expert_id)},
               token_page=edit)
    db.session.expire_all()
    done = db.session.get(Complaint, c.id)
    assert (done.state, done.handling_note) == ("closed", "已约谈专家，责令改正。")
    # what the enterprise wrote is not editable
    assert done.body == "专家要求我们购买指定的检测仪器，否则检查不通过。" and done.contact_name == "举报人孙女士"


def test_office_views_the_photo(app, client, login_as):
    _, c = _complaint(photo=records.photo_bytes())
    login_as("office")
    photo = client.get(f"/admin/complaint/photo/?id={c.id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert "no-store" in photo.headers["Cache-Control"]


@pytest.mark.parametrize("role", ["office", "sysadmin"])
def test_complaints_are_not_created_in_the_admin(app, client, login_as, role):
    login_as(role)
    assert client.get("/admin/complaint/new/").status_code == 403


def test_filter_by_state(app, client, login_as):
    _, open_one = _complaint()
    _, closed = _complaint()
    closed.state, closed.handling_note = "closed", "已处理"
    db.session.commit()
    login_as("office")
    html = client.get("/admin/complaint/").get_data(as_text=True)
    assert "已办结" in html and "待处理" in html
    # The state filter is the first one; its first operation is 等于 (equals).
    filtered = client.get("/admin/complaint/?flt0_0=closed").get_data(as_text=True)
    assert closed.complaint_no in filtered and open_one.complaint_no not in filtered
