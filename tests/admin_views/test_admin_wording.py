"""What the admin's own pages say: every error of a refused form, named at the top with a link;
no English or raw identifiers in the page-size menu, empty choices and pickers; lang, favicon."""
import re

from tests.conftest import csrf_from


def test_a_refused_user_form_shows_every_error_and_a_summary_that_links_to_each(client, login_as):
    login_as("sysadmin")
    form = client.get("/admin/user/new/").get_data(as_text=True)
    page = client.post("/admin/user/new/", data={"csrf_token": csrf_from(form), "username": "", "role": "town",
                                                  "new_password": ""}).get_data(as_text=True)
    summary = page[page.index('id="error-summary"'):page.index("</div>", page.index('id="error-summary"'))]
    assert "未保存：有3处需要修改" in summary
    assert '<a class="alert-link" href="#username">用户名</a>：请输入用户名' in summary
    assert '<a class="alert-link" href="#new_password">新密码</a>：新建账号必须设置密码。' in summary
    assert '<a class="alert-link" href="#org_unit">所属单位</a>：局科室/大队和镇街账号必须选择所属单位。' in summary
    assert "保存记录失败" not in page and "创建记录失败" not in page  # the summary says more
    # and each error also beside its field, lower down the form
    assert page.count("新建账号必须设置密码。") == 2
    assert 'id="username"' in page and 'id="new_password"' in page


def test_a_weak_password_and_a_missing_expert_are_both_named(client, login_as):
    login_as("sysadmin")
    form = client.get("/admin/user/new/").get_data(as_text=True)
    data = {"csrf_token": csrf_from(form), "username": "zhangsan", "role": "expert", "new_password": "zhangsan123"}
    page = client.post("/admin/user/new/", data=data).get_data(as_text=True)
    assert "有2处需要修改" in page and "密码不能包含用户名" in page and "专家账号必须关联一名专家" in page


def test_no_english_or_raw_values_in_the_user_form_and_lists(client, login_as):
    login_as("sysadmin")
    form = client.get("/admin/user/new/").get_data(as_text=True)
    assert "__None</option>" not in form and ">（不选）</option>" in form
    assert "请选择模型" not in form and 'data-placeholder="输入文字搜索关联专家"' in form
    listing = client.get("/admin/user/").get_data(as_text=True)
    assert not re.search(r"\d+ items?\b", listing) and "项目" not in listing
    assert "每页20条" in listing and "每页100条" in listing and "20 条/页" in listing


def test_every_admin_page_says_its_language_and_links_the_icon(client, login_as):
    login_as("office")
    page = client.get("/admin/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "favicon.svg" in page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon" and icon.data[:4] == b"\0\0\1\0"


def test_every_list_filter_is_named_in_chinese(app, client, login_as):
    """Flask-Admin names a filter on a relation "groups / Expert Group / 姓名"; each is named
    by its relation's label instead, and so is every operation (等于, 包含, …)."""
    named = []
    with app.test_request_context():
        for admin in app.extensions["admin"]:
            for view in admin._views:
                filters = getattr(view, "_filters", None) or []
                named += [(view.endpoint, str(f.name), str(f.operation())) for f in filters]
    assert len(named) > 50
    assert [n for n in named if re.search(r"[A-Za-z]", n[1] + n[2])] == []
    login_as("office")
    page = client.get("/admin/expert/").get_data(as_text=True)
    assert "专家组别" in page and "Expert Group" not in page and "Org Unit" not in page


def test_every_column_a_stock_page_shows_or_exports_is_named_in_chinese(app, client, login_as):
    """Where a view shows Flask-Admin's own list, details page or export, each column has a
    Chinese name: Flask-Admin would otherwise print "Created At", "File Path" or "expert.name"
    (the search box's hint). Acronyms a reader knows (QQ, SM3, PDF…) may stay."""
    from flask_admin.model import BaseModelView

    from app.auth.rights import RIGHTS

    def granted(view, action):
        return any(action in actions for actions in RIGHTS.get(view.endpoint, {}).values())

    def stock(view, method, template=None):
        same = getattr(type(view), method) is getattr(BaseModelView, method)
        return same and (template is None or getattr(view, template) == getattr(BaseModelView, template))

    acronyms = r"(?<![A-Za-z])(?:QQ|SM3|SM4|PDF|XLSX|CSV|QR|IP|URL)(?![A-Za-z])"
    shown = []
    with app.test_request_context():
        for admin in app.extensions["admin"]:
            for view in (v for v in admin._views if isinstance(v, BaseModelView)):
                if granted(view, "list") and stock(view, "index_view"):
                    shown += [(view.endpoint, "list", str(label)) for _c, label in view.get_list_columns()]
                    shown.append((view.endpoint, "search", str(view.search_placeholder() or "")))
                if granted(view, "details") and stock(view, "details_view", "details_template"):
                    shown += [(view.endpoint, "details", str(label)) for _c, label in view.get_details_columns()]
                if granted(view, "export") and stock(view, "export"):
                    shown += [(view.endpoint, "export", str(label)) for _c, label in view.get_export_columns()]
    assert len(shown) > 300
    assert [s for s in shown if re.search(r"[A-Za-z]", re.sub(acronyms, "", s[2]))] == []
    login_as("office")
    assert "专家、企业" in client.get("/admin/conflict/").get_data(as_text=True)
    assert client.get("/admin/form_definition/export/csv/").status_code == 403
