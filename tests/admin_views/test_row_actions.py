"""The delete button of a list row (admin_views.row_actions): the same request as Flask-Admin's,
no repeated element ids, and shown only where the role may delete."""
import re
from collections import Counter
from html.parser import HTMLParser

from models import Expert
from tests import factories


class _Page(HTMLParser):
    """Element ids, and the row delete forms with their hidden fields."""

    def __init__(self):
        super().__init__()
        self.ids, self.forms = Counter(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] += 1
        if tag == "form" and attrs.get("class") == "icon" and attrs.get("action", "").endswith("/delete/"):
            self.forms.append({"action": attrs["action"], "fields": {}})
        elif tag == "input" and attrs.get("type") == "hidden" and self.forms and not self.forms[-1].get("closed"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self.forms:
            self.forms[-1]["closed"] = True


def _parse(html):
    page = _Page()
    page.feed(html)
    return page


def test_each_row_deletes_its_own_record_and_no_id_repeats(db, client, login_as):
    login_as("office")
    experts = [factories.expert(name=name) for name in ("甲删除", "乙保留", "丙保留")]
    db.session.commit()
    html = client.get("/admin/expert/?sort=0").get_data(as_text=True)
    page = _parse(html)

    assert [name for name, count in page.ids.items() if count > 1] == []
    by_id = {form["fields"]["id"]: form for form in page.forms}
    assert set(by_id) == {str(e.id) for e in experts}
    assert "你确定要删除这条记录吗？" in html and html.count('title="删除记录"') == 3

    target = by_id[str(experts[0].id)]
    assert set(target["fields"]) == {"id", "url", "csrf_token"}
    response = client.post(target["action"], data=target["fields"])
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/expert/")
    db.session.expire_all()
    assert sorted(e.name for e in db.session.query(Expert)) == ["丙保留", "乙保留"]


def test_a_forged_token_in_the_row_form_deletes_nothing(db, client, login_as):
    login_as("office")
    expert = factories.expert(name="甲保留")
    db.session.commit()
    form = _parse(client.get("/admin/expert/").get_data(as_text=True)).forms[0]
    client.post(form["action"], data={**form["fields"], "csrf_token": "forged"})
    db.session.expire_all()
    assert db.session.get(Expert, expert.id) is not None


def test_no_delete_button_for_a_role_that_may_not_delete(db, client, login_as):
    login_as("leader")
    factories.expert()
    db.session.commit()
    html = client.get("/admin/expert/").get_data(as_text=True)
    assert re.search(r"<td", html) and _parse(html).forms == []
