"""Every Flask-Admin message our users can see is Chinese.

Flask-Admin's shipped zh_Hans_CN ``admin.mo`` lacks two messages its ``admin.po`` translates
("Failed to save record." shown on every refused form); admin_views/translations supplies them.
"""
import gettext
import io
from pathlib import Path

import flask_admin
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

OURS = Path(__file__).resolve().parents[2] / "admin_views/translations/zh_Hans_CN/LC_MESSAGES"
THEIRS = Path(flask_admin.__file__).parent / "translations/zh_Hans_CN/LC_MESSAGES"


def _messages(translations):
    return {k: v for k, v in translations._catalog.items() if k != ""}  # "" is the dated header


def _catalog(mo_path):
    with open(mo_path, "rb") as f:
        return _messages(gettext.GNUTranslations(f))


def test_our_compiled_catalog_matches_its_source():
    with open(OURS / "admin.po", "rb") as f:
        source = read_po(f)
    compiled = io.BytesIO()
    write_mo(compiled, source)
    assert _catalog(OURS / "admin.mo") == _messages(gettext.GNUTranslations(io.BytesIO(compiled.getvalue())))
    assert _catalog(OURS / "admin.mo")["Failed to save record."] == "保存记录失败。"


def test_every_message_flask_admin_translates_reaches_the_screen():
    with open(THEIRS / "admin.po", "rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string and not m.fuzzy}
    shipped, ours = _catalog(THEIRS / "admin.mo"), _catalog(OURS / "admin.mo")

    def known(msgid):
        key = msgid if isinstance(msgid, str) else (msgid[0], 0)
        return key in shipped or key in ours

    assert sorted(str(m) for m in translated if not known(m)) == []
