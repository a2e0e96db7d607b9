"""The builder in the admin, the submissions pages, the phone pages of any form, a public form,
and the receipt's signature (SPEC §3.19): what the office, an inspector and an enterprise see."""
import base64
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import clock
from app.demo.signatures import drawn_signature
from app.extensions import db
from app.services.forms import definitions, editing
from models import AuditLog, FormDefinition, FormField, FormSubmission
from tests import factories
from tests.conftest import csrf_from
from tests.forms.conftest import good_values, keys, service_record_form

JSON = {"Accept": "application/json"}


def _office(login_as):
    return login_as("office", org_unit_=factories.org_unit(name="安全生产基础科"))


def _post(client, url, data, page_url):
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_the_office_builds_a_form_through_the_builder_and_every_change_is_audited(client, login_as):
    _office(login_as)
    response = _post(client, "/admin/form_definition/new/", {"title": "专家现场服务记录", "purpose": "expert",
                                                            "fill_roles": "town"}, "/admin/form_definition/new/")
    assert response.status_code == 302
    form = db.session.scalar(select(FormDefinition).where(FormDefinition.title == "专家现场服务记录"))
    build = f"/admin/form_definition/build/?id={form.id}"
    section = form.versions[0].sections[0]
    for label, kind, extra in (("服务单位", "text", {}), ("专业水平", "score", {"max_value": "10"}),
                               ("专家签字", "signature", {})):
        response = _post(client, "/admin/form_definition/field/add/",
                         {"section_id": section.id, "label": label, "kind": kind, "required": "1", **extra}, build)
        assert response.status_code == 302
    page = client.get(build).get_data(as_text=True)
    assert "检查通过，可以发布" in page and "专业水平" in page and "满分10分" in page
    assert "/admin/form_definition/preview/?id=" in page
    preview = client.get(f"/admin/form_definition/preview/?id={form.versions[0].id}")
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in \
        preview.headers["Content-Security-Policy"]
    assert "这是手机预览" in preview.get_data(as_text=True)
    response = _post(client, "/admin/form_definition/publish/", {"version_id": form.versions[0].id}, build)
    assert response.status_code == 302
    db.session.expire_all()
    assert definitions.current_version(form).number == 1
    tables = set(db.session.scalars(select(AuditLog.table_name)))
    assert {"form_definition", "form_version", "form_section", "form_field"} <= tables
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.table_name == "form_field")) >= 3


def test_a_refused_change_says_why_and_changes_nothing(client, login_as):
    _office(login_as)
    form = service_record_form(publish=False)
    db.session.commit()
    build = f"/admin/form_definition/build/?id={form.id}"
    section = form.versions[0].sections[1]
    before = len(section.fields)
    response = _post(client, "/admin/form_definition/field/add/",
                     {"section_id": section.id, "label": "总体评价", "kind": "score", "max_value": "0"}, build)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "“服务评价”的“总体评价”满分须为正整数" in html
    db.session.expire_all()
    assert len(db.session.get(type(section), section.id).fields) == before


def test_publishing_a_draft_that_does_not_add_up_is_refused_with_the_reason(client, login_as):
    _office(login_as)
    form = service_record_form(publish=False)
    version = form.versions[0]
    definitions.update_version(version, title=version.title, total_max="30")
    db.session.commit()
    build = f"/admin/form_definition/build/?id={form.id}"
    assert "表单满分应为30分，现为20分" in client.get(build).get_data(as_text=True)
    response = _post(client, "/admin/form_definition/publish/", {"version_id": version.id}, build)
    assert "表单满分应为30分，现为20分" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(version), version.id).state == "draft"


def test_sections_and_fields_move_and_go(client, login_as):
    _office(login_as)
    form = service_record_form(publish=False)
    db.session.commit()
    version = form.versions[0]
    build = f"/admin/form_definition/build/?id={form.id}"
    first, second = version.sections[0].fields[:2]
    _post(client, "/admin/form_definition/field/move/", {"field_id": second.id, "direction": "up"}, build)
    _post(client, "/admin/form_definition/section/move/", {"section_id": version.sections[2].id, "direction": "up"},
          build)
    _post(client, "/admin/form_definition/field/remove/", {"field_id": first.id}, build)
    db.session.expire_all()
    version = db.session.get(type(version), version.id)
    assert [s.title for s in version.sections] == ["基本信息", "签字确认", "服务评价"]
    assert version.sections[0].fields[0].label == "服务内容" and "服务单位" not in [f.label for f in version.fields]


def test_a_form_with_submissions_cannot_be_deleted_only_retired(client, login_as, town):
    from app.services.forms.submissions import Subject, save_submission
    from app.services.forms.validation import Filled

    form = service_record_form()
    values, files = good_values(definitions.current_version(form))
    save_submission(form, Filled(values=values, files=files), by=town,
                    subject=Subject(expert_id=factories.appointed_expert().id))
    db.session.commit()
    _office(login_as)
    build = f"/admin/form_definition/build/?id={form.id}"
    page = client.get(build).get_data(as_text=True)
    assert "已有填报的表单不能删除，只能停用" in page and "删除表单" not in page
    response = _post(client, "/admin/form_definition/delete/", {"form_id": form.id}, build)
    assert "不能删除，只能停用" in client.get(response.headers["Location"]).get_data(as_text=True)
    _post(client, "/admin/form_definition/retire/", {"form_id": form.id}, build)
    db.session.expire_all()
    assert db.session.get(FormDefinition, form.id).retired_at is not None


@pytest.mark.parametrize("role,status", [("leader", 403), ("town", 403), ("expert", 403)])
def test_only_the_office_changes_forms(client, login_as, role, status):
    form = service_record_form(publish=False)
    db.session.commit()
    login_as(role)
    assert client.get("/admin/form_definition/new/").status_code in (status, 302)
    client.get("/login")
    response = client.post("/admin/form_definition/field/add/", data={"section_id": form.versions[0].sections[0].id,
                                                                       "label": "x", "kind": "text"})
    assert response.status_code in (400, 403)
    assert len(db.session.scalars(select(FormField).where(FormField.label == "x")).all()) == 0


def _phone_post(client, form, version, expert, **extra):
    values, files = good_values(version)
    data = {f"f_{k}": v for k, v in values.items()}
    data.update({f"d_{k}": "data:image/png;base64," + base64.b64encode(v).decode() for k, v in files.items()})
    data.update(version_id=str(version.id), expert_id=str(expert.id),
                client_uuid="c0ffee00-0000-4000-8000-000000000001",
                csrf_token=csrf_from(client.get(f"/m/forms/{form.id}/new").get_data(as_text=True)), **extra)
    return client.post(f"/m/forms/{form.id}/new", data=data, headers=JSON)


def test_an_inspector_fills_a_form_on_the_phone_and_it_is_stored_once(client, login_as):
    form = service_record_form()
    db.session.commit()
    user = login_as("town", full_name="钱立军")
    form.fill_unit_ids = []
    expert = factories.appointed_expert(name="王建国")
    db.session.commit()
    index = client.get("/m/forms").get_data(as_text=True)
    assert "专家现场服务记录" in index
    page = client.get(f"/m/forms/{form.id}/new").get_data(as_text=True)
    assert "王建国" in page and 'class="sig"' in page and "signature_pad.umd.min.js" in page
    version = definitions.current_version(form)
    first = _phone_post(client, form, version, expert)
    again = _phone_post(client, form, version, expert)
    assert (first.status_code, again.status_code) == (201, 200) and first.json["total"] == 19
    assert db.session.scalar(select(func.count()).select_from(FormSubmission)) == 1
    shown = client.get(first.json["url"]).get_data(as_text=True)
    assert "王建国" in shown and 'id="saved-total">19<' in shown
    sub = db.session.get(FormSubmission, first.json["id"])
    assert sub.unit_id == user.org_unit_id
    signature = next(a for a in sub.answers if a.field.kind == "signature")
    assert client.get(f"/m/forms/file/{signature.id}").mimetype == "image/png"


def test_a_refused_phone_post_says_why_beside_the_field(client, login_as):
    form = service_record_form()
    login_as("town")
    expert = factories.appointed_expert()
    db.session.commit()
    version = definitions.current_version(form)
    k = keys(version)
    response = _phone_post(client, form, version, expert, **{f"f_{k['专业水平']}": "12"})
    assert response.status_code == 422
    assert response.json["fields"][k["专业水平"]] == "12分超过该项满分10分，未计入合计"
    token = csrf_from(client.get(f"/m/forms/{form.id}/new").get_data(as_text=True))
    html = client.post(f"/m/forms/{form.id}/new", data={"version_id": version.id, "expert_id": expert.id,
                                                       f"f_{k['专业水平']}": "12", "csrf_token": token}
                       ).get_data(as_text=True)
    assert "表单未能提交，请修改" in html and "12分超过该项满分10分，未计入合计" in html and 'value="12"' in html


def test_the_admin_lists_and_exports_a_units_submissions_only(client, login_as, town):
    from app.services.forms.submissions import Subject, save_submission
    from app.services.forms.validation import Filled

    form = service_record_form()
    version = definitions.current_version(form)
    values, files = good_values(version)
    save_submission(form, Filled(values=values, files=files), by=town,
                    subject=Subject(expert_id=factories.appointed_expert(name="王建国").id))
    other = factories.user(role="town", org_unit_=factories.org_unit(name="牛塘镇", kind="town"))
    save_submission(form, Filled(values=values, files=files), by=other,
                    subject=Subject(expert_id=factories.appointed_expert(name="李志强").id))
    db.session.commit()
    login_as("town", org_unit_=town.org_unit)
    html = client.get("/admin/form_submission/").get_data(as_text=True)
    assert "王建国" in html and "李志强" not in html
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/form_submission/xlsx/?version={version.id}").data)).active
    assert sheet.max_row == 2 and "王建国" in sheet.cell(2, 4).value
    theirs = db.session.scalar(select(FormSubmission).where(FormSubmission.unit_id == other.org_unit_id))
    assert client.get(f"/admin/form_submission/pdf/?id={theirs.id}").status_code == 404
    assert client.get(f"/admin/form_submission/edit/?id={theirs.id}").status_code == 403


def test_a_public_form_is_filled_through_its_link(client):
    form = definitions.create_form("企业意见征集", public=True)
    version = form.versions[0]
    editing.add_field(version.sections[0], {"label": "意见", "kind": "textarea", "required": True})
    definitions.publish(version)
    db.session.commit()
    url = f"/f/{form.public_token}"
    page = client.get(url).get_data(as_text=True)
    assert "企业意见征集" in page
    token = csrf_from(page)
    refused = client.post(url, data={"csrf_token": token, "version_id": version.id})
    assert refused.status_code == 422 and "请填写意见" in refused.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": token, "version_id": version.id,
                                  f"f_{version.fields[0].key}": "希望多开展培训"})
    assert "已提交，感谢您的填写" in done.get_data(as_text=True)
    assert client.get("/f/not-a-real-token").status_code == 404
    definitions.retire_form(db.session.get(FormDefinition, form.id))
    db.session.commit()
    assert client.get(url).status_code == 404


def test_the_receipt_needs_a_signature_and_shows_it_afterwards(client, app):
    notice = _make_notice()
    path = f"/receipt/{notice.token}"
    page = client.get(path).get_data(as_text=True)
    assert "签收人签字" in page and 'class="sig"' in page
    token = csrf_from(page)
    response = client.post(path, data={"csrf_token": token, "f_signer_name": "王海燕"})
    assert response.status_code == 422 and "请在“签收人签字”处签名" in response.get_data(as_text=True)
    assert notice.receipt_state == "pending"
    png = base64.b64encode(drawn_signature("王海燕")).decode()
    response = client.post(path, data={"csrf_token": token, "f_signer_name": "王海燕",
                                       "d_signature": f"data:image/png;base64,{png}"})
    assert response.status_code == 303
    html = client.get(path).get_data(as_text=True)
    assert "已签收" in html and f"/receipt/{notice.token}/signature.png" in html
    image = client.get(f"/receipt/{notice.token}/signature.png")
    assert image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    sub = db.session.scalar(select(FormSubmission).where(FormSubmission.notice_id == notice.id))
    answer = next(a for a in sub.answers if a.field.kind == "signature")
    assert answer.signed_by == "王海燕" and answer.signed_at is not None


def _make_notice():
    import datetime as dt

    from app.services.dispatch import draws, notices, usage_requests
    from tests.dispatch.records import group_ids

    for _ in range(2):
        factories.appointed_expert(start=dt.date(2026, 1, 1))
    unit = factories.org_unit(name="应急管理综合行政执法大队一中队", kind="brigade")
    ent = factories.enterprise(name="常州市武进红光无纺布有限公司")
    day = clock.today() + dt.timedelta(days=3)
    req = usage_requests.create_request(unit=unit, activity_type="inspection", subject="纺织企业执法检查",
                                        start_date=day, end_date=day, groups=group_ids("化工"), enterprises=[ent],
                                        headcount=1, backups=0)
    draws.draw(req)
    made, = notices.issue_notices(req)
    db.session.commit()
    return made
