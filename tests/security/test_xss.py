"""XSS: markup typed into any free-text field comes out as text, never as markup —
in every admin list, details and edit page, on the public and phone pages, and in PDFs.

Rows are built generically from each admin view's model (tests/security/payloads.py), so
views added later are covered without editing this file.
"""
import re
import subprocess

import pytest
from flask import url_for

from app import clock
from app.extensions import db
from models import Announcement, Enterprise, Expert, Notice, OrgUnit
from tests import factories
from tests.security.conftest import admin_model_views
from tests.security.payloads import escaped_marker_seen, first_id, raw_markers


def _pages(app, view, rid):
    out = []
    with app.test_request_context():
        for name in ("index_view", "details_view", "edit_view"):
            if f"{view.endpoint}.{name}" not in app.view_functions:
                continue
            url = url_for(f"{view.endpoint}.{name}")
            if name != "index_view":
                if rid is None:
                    continue
                url += f"?id={rid}"
            out.append((name, url))
    return out


@pytest.mark.parametrize("role", ["sysadmin", "town"])
def test_every_admin_page_escapes_markup(app, client, login_as, hostile, role):
    """Each view's list, details and edit page of a row full of markup (town: masked columns)."""
    if role == "town":
        login_as("town", org_unit_=hostile.pool[OrgUnit])
    else:
        login_as(role)
    problems, shown, not_built = [], set(), []
    for view in admin_model_views(app):
        rid = first_id(view.model)
        if rid is None:
            not_built.append(view.endpoint)
        for _name, url in _pages(app, view, rid):
            try:
                response = client.get(url)
            except Exception as exc:  # noqa: BLE001 - TESTING re-raises; collect every page's result
                problems.append((url, f"{type(exc).__name__}: {exc}"))
                continue
            if response.status_code in (302, 403, 404):
                continue
            html = response.get_data(as_text=True)
            if response.status_code >= 500:
                problems.append((url, response.status_code))
                continue
            leaked = raw_markers(html)
            if leaked:
                problems.append((url, leaked))
            if escaped_marker_seen(html):
                shown.add(view.endpoint)
    assert problems == []
    if role != "sysadmin":
        assert {"expert", "enterprise"} <= shown
        return
    # The test must have seen the markup shown as text: in nearly every view, and in the
    # registry's views always (a builder that silently failed would otherwise pass).
    views = {v.endpoint for v in admin_model_views(app)}
    assert {"expert", "enterprise", "org_unit", "conflict", "user"} <= shown
    assert len(shown) >= 0.8 * len(views), (sorted(views - shown), hostile.failures, not_built)


# --- public and phone pages --------------------------------------------------------------------

def _public_get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    assert raw_markers(html) == [], url
    return html


def test_verify_page_escapes_the_expert_name(app, client, hostile):
    from app.services.permits.issuing import issue_permit

    expert = hostile.pool[Expert]
    permit = issue_permit(expert)
    db.session.commit()
    html = _public_get(client, f"/verify/{permit.token}")
    assert "&lt;s&gt;x1&lt;/s&gt;王" in html
    # The JSON answer carries the name as data, with no HTML in a JSON response.
    data = client.get(f"/verify/{permit.token}", headers={"Accept": "application/json"}).get_json()
    assert data["name"] == "<s>x1</s>王"
    html = _public_get(client, f"/complaints/new?permit={permit.token}")
    assert "<s>x1</s>" not in html


def test_public_announcements_escape_title_and_body(app, client, hostile):
    ann = Announcement(kind="appointment", title='<script>alert("t")</script>聘任公告',
                       body='<img src=x onerror=alert(1)>正文', published=True, published_on=clock.today())
    db.session.add(ann)
    db.session.commit()
    listing = _public_get(client, "/announcements")
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;聘任公告" in listing
    detail = _public_get(client, f"/announcements/{ann.id}")
    assert "&lt;img src=x onerror=alert(1)&gt;正文" in detail and "<img src=x" not in detail


def test_notice_receipt_page_escapes_the_enterprise_name(app, client, hostile):
    notice = db.session.get(Notice, first_id(Notice))
    notice.token = "rTok" + "9" * 28
    db.session.commit()
    html = _public_get(client, f"/receipt/{notice.token}")
    assert escaped_marker_seen(html)


def test_phone_pages_escape_markup(app, client, login_as, hostile):
    """Scoring queue of the hostile unit's inspector and the expert's own task list."""
    login_as("town", org_unit_=hostile.pool[OrgUnit])
    html = _public_get(client, "/m/score")
    assert escaped_marker_seen(html)
    expert_client = app.test_client()
    from app.auth.passwords import hash_password
    from models import User

    # The expert's login (the builder linked its hostile user row to the hostile expert).
    user = db.session.query(User).filter_by(expert_id=hostile.pool[Expert].id).one_or_none()
    if user is None:
        user = factories.user(role="expert", expert_=hostile.pool[Expert])
    user.role, user.active, user.password_hash = "expert", True, hash_password(factories.PASSWORD)
    user.totp_secret = user.locked_until = None
    db.session.commit()
    from tests.conftest import csrf_from

    token = csrf_from(expert_client.get("/login").get_data(as_text=True))
    expert_client.post("/login", data={"username": user.username, "password": factories.PASSWORD,
                                       "csrf_token": token})
    for url in ("/m/", "/m/tasks"):
        response = expert_client.get(url)
        assert response.status_code == 200, url
        assert raw_markers(response.get_data(as_text=True)) == [], url


# --- PDFs ------------------------------------------------------------------------------------

def _pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text in drawing order (``-raw``: a wrapped table cell stays together), no spaces."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return re.sub(r"\s+", "", text)


def test_pdfs_built_from_hostile_rows_print_markup_as_text(app, hostile, tmp_path):
    """The services' own PDFs (permit, 附件1, 附件2, 附件3) from rows full of markup."""
    from app.services.dispatch import notices
    from app.services.lifecycle import documents as lifecycle_documents
    from app.services.permits import issuing as permits

    expert = hostile.pool[Expert]
    permit = permits.issue_permit(expert)
    db.session.flush()
    notice = db.session.get(Notice, first_id(Notice))
    documents = {
        "permit": permits.render_permit_pdf(permit),
        "commitment_letter": lifecycle_documents.commitment_letter_pdf(expert)[1],
        "registration_form": lifecycle_documents.registration_form_pdf(expert)[1],
    }
    for name, pdf in documents.items():
        text = _pdf_text(pdf, tmp_path)
        assert "<s>x1</s>王" in text, name  # the expert's name, tags and all
    assert '<script>alert("x2")</script>化工' in _pdf_text(documents["registration_form"], tmp_path)
    notice.enterprise = hostile.pool[Enterprise]
    db.session.flush()
    assert '<script>alert("x3")</script>有限公司' in _pdf_text(notices.notice_pdf(notice), tmp_path)


def _tag_strings(value, counter, tokens):
    """Every string of a sample context replaced by a numbered ``<i>Kn</i>``."""
    if isinstance(value, dict):
        return {k: (v if k in _KEEP else _tag_strings(v, counter, tokens)) for k, v in value.items()}
    if isinstance(value, list):
        return [_tag_strings(v, counter, tokens) for v in value]
    if isinstance(value, str):
        n = next(counter)
        tokens.append(n)
        return f"<i>K{n}</i>"
    return value


# URLs become QR codes and the form definition is structure, not data (a row's type, a field's kind).
_KEEP = {"verify_url", "receipt_url", "form", "variant", "state", "photo", "key", "section", "type", "kind"}


@pytest.mark.parametrize("document", ["commitment_letter", "registration_form", "notice", "fee_standard",
                                      "payout_sheet", "form_document", "permit", "permit_sheet",
                                      "announcement", "candidate_list"])
def test_every_text_field_of_every_printable_prints_as_text(document, tmp_path):
    """Every string of each printable's sample context, tagged: each one prints with its tags."""
    import itertools
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "printables"))
    from sample_documents import SAMPLES

    from printables import render_pdf

    tokens: list[int] = []
    context = _tag_strings(SAMPLES[document](), itertools.count(1), tokens)
    text = _pdf_text(render_pdf(f"{document}.html", context), tmp_path)
    printed = [n for n in tokens if f"K{n}" in text]
    unescaped = [n for n in printed if f"<i>K{n}</i>" not in text]
    assert unescaped == []
    assert len(printed) >= max(1, len(tokens) // 2), (document, len(printed), len(tokens))
