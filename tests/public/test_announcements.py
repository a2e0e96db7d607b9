"""Public announcements (公告, SPEC §5 and §7 ``GET /announcements``), the home page links,
and that no public page shows an ID number, phone or address (第十条(三), SPEC §3.15)."""
import datetime as dt
import importlib.util
import re

import pytest

from app.extensions import db
from app.services.identity import mask_id, mask_phone
from models import Announcement, AnnouncementEntry
from tests import factories

ID_BIRTH = dt.date(1969, 8, 23)


@pytest.fixture
def seeded(app):
    """An appointed expert with every kind of personal data, named in a published 公告;
    an older published 公告; and an unpublished draft."""
    expert = factories.appointed_expert(
        name="李卫东", groups=("化工", "有限空间"), birth=ID_BIRTH, employer="江苏武进精细化工有限公司",
        mobile="13775186429", work_phone="0519-86937151", home_phone="0519-88273946",
        address="常州市武进区湖塘镇花园街道117号", email="liwd@example.com", wechat="liwd_cz", qq="574618293",
    )
    older = Announcement(kind="dismissal", title="关于解聘部分安全生产专家的公告", doc_no="武应急〔2025〕12号",
                         body="根据《武进区安全生产专家管理办法》第十三条，经研究决定，解聘以下专家。", published=True,
                         published_on=dt.date(2025, 6, 3))
    older.entries.append(AnnouncementEntry(name="赵某某", groups="机械", employer="常州某机械厂"))
    newer = Announcement(kind="appointment", title="关于聘任武进区第二届安全生产专家的公告",
                         doc_no="武应急〔2026〕36号",
                         body="根据《武进区安全生产专家管理办法》，经局长办公会议审定，决定聘任以下同志为武进区安全生产专家。\n"
                              "聘期三年，自2026年6月1日起至2029年5月31日止。<b>特此公告</b>",
                         published=True, published_on=dt.date(2026, 5, 20))
    newer.entries.append(AnnouncementEntry(expert_id=expert.id, name=expert.name, groups="化工、有限空间",
                                           employer=expert.employer))
    draft = Announcement(kind="blacklist", title="草稿：黑名单公告（未发布）", body="尚未发布的内容", published=False)
    db.session.add_all([older, newer, draft])
    db.session.commit()
    return {"expert": expert, "older": older, "newer": newer, "draft": draft}


def forbidden_strings(expert) -> list[str]:
    """Every form in which the expert's ID number, phones or address could leak, masked ones included."""
    values = [expert.id_number, expert.id_number[-4:], expert.id_number[:6], expert.id_number[6:14],
              mask_id(expert.id_number), expert.id_number[:4] + "*"]
    for phone in (expert.mobile, expert.work_phone, expert.home_phone):
        digits = re.sub(r"\D", "", phone)
        values += [phone, digits, digits[-4:], digits[-8:], mask_phone(phone)]
    values += [expert.address, "花园街道", "117号", expert.email, expert.wechat, expert.qq]
    return values


def test_list_shows_published_announcements_newest_first_with_their_entries(client, seeded):
    html = client.get("/announcements").get_data(as_text=True)
    newer, older = html.find("关于聘任武进区第二届安全生产专家的公告"), html.find("关于解聘部分安全生产专家的公告")
    assert 0 < newer < older
    for text in ("武应急〔2026〕36号", "2026年5月20日", "聘任公告", "李卫东", "化工、有限空间",
                 "江苏武进精细化工有限公司", "专家名单（1人）", "聘期三年，自2026年6月1日起至2029年5月31日止。",
                 "武应急〔2025〕12号", "赵某某"):
        assert text in html
    assert "草稿：黑名单公告" not in html and "尚未发布的内容" not in html
    # the body is text, not HTML
    assert "&lt;b&gt;特此公告&lt;/b&gt;" in html and "<b>特此公告</b>" not in html


def test_detail_page_and_unpublished_is_404(client, seeded):
    html = client.get(f"/announcements/{seeded['newer'].id}").get_data(as_text=True)
    assert "关于聘任武进区第二届安全生产专家的公告" in html and "李卫东" in html
    assert "<details class=\"ann-entries\" open>" in html
    assert client.get(f"/announcements/{seeded['draft'].id}").status_code == 404
    assert client.get("/announcements/999999").status_code == 404


def test_public_pages_show_no_id_number_phone_or_address(client, seeded):
    expert = seeded["expert"]
    pages = ["/", "/announcements", f"/announcements/{seeded['newer'].id}", "/apply", "/apply/status"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert client.get(url).status_code == 200, url
        for secret in forbidden_strings(expert):
            assert secret not in html, f"{secret!r} on {url}"
    # the name, groups and employer are what an announcement is for
    assert expert.name in client.get("/announcements").get_data(as_text=True)


def test_empty_list_says_so(client):
    assert "暂无公告" in client.get("/announcements").get_data(as_text=True)


def test_list_is_paged(client, app):
    for i in range(12):
        db.session.add(Announcement(kind="other", title=f"第{i + 1:02d}号测试公告", body="内容", published=True,
                                    published_on=dt.date(2026, 1, 1) + dt.timedelta(days=i)))
    db.session.commit()
    first = client.get("/announcements").get_data(as_text=True)
    second = client.get("/announcements?page=2").get_data(as_text=True)
    assert "第12号测试公告" in first and "第03号测试公告" in first and "第02号测试公告" not in first
    assert "第02号测试公告" in second and "第01号测试公告" in second and "下一页" in first and "上一页" in second


@pytest.mark.skipif(importlib.util.find_spec("app.services.lifecycle.documents") is None,
                    reason="printed 公告 comes with the lifecycle documents service")
def test_pdf_of_a_published_announcement(client, seeded, tmp_path):
    import subprocess

    html = client.get("/announcements").get_data(as_text=True)
    pdf_link = f"/announcements/{seeded['newer'].id}/pdf"
    assert pdf_link in html
    response = client.get(pdf_link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "a.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "李卫东" in text and "江苏武进精细化工有限公司" in text
    for secret in forbidden_strings(seeded["expert"]):
        assert secret not in text
    assert client.get(f"/announcements/{seeded['draft'].id}/pdf").status_code == 404


def test_home_page_links_to_apply_status_and_announcements(client):
    html = client.get("/").get_data(as_text=True)
    for href, label in (("/apply", "自荐申请"), ("/apply/status", "申请进度查询"), ("/announcements", "公告")):
        assert re.search(rf'<a [^>]*href="{re.escape(href)}"[^>]*><b>{label}</b>', html), label


def rate_limited_app(tmp_path):
    from app import create_app
    from app.services.reference import ensure_reference_data

    app = create_app({"ENV_NAME": "testing", "UPLOAD_DIR": str(tmp_path / "uploads"), "RATELIMIT_ENABLED": True,
                      "PUBLIC_RATE_LIMIT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"})
    return app, ensure_reference_data


@pytest.mark.parametrize("url", ["/", "/apply", "/apply/status", "/apply/submitted", "/announcements",
                                 "/announcements/1"])
def test_every_public_route_is_rate_limited(tmp_path, url):
    app, ensure_reference_data = rate_limited_app(tmp_path)
    with app.app_context():
        db.create_all()
        ensure_reference_data()
        db.session.add(Announcement(kind="other", title="测试", body="", published=True,
                                    published_on=dt.date(2026, 1, 1)))
        db.session.commit()
        client = app.test_client()
        codes = [client.get(url).status_code for _ in range(3)]
        db.session.remove()
        db.drop_all()
    assert codes[0] != 429 and codes[2] == 429
