"""File names of printed documents."""

from __future__ import annotations

import re
import unicodedata

# Characters Windows, macOS or a zip archive refuse in a file name, control
# characters, and white space (the regulation's example has none).
_ILLEGAL = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\s]+')


def registration_filename(name: str, profession: str) -> str:
    """File name of a 登记表: 姓名 + 从事的行业 + ``.pdf`` (附件2 填表说明 12).

    ``registration_filename("刘大地", "钢铁") == "刘大地钢铁.pdf"``.
    Full-width forms are folded (NFKC) and characters illegal in file names
    are dropped; a name that ends up empty becomes ``登记表.pdf``.
    """
    stem = unicodedata.normalize("NFKC", f"{name or ''}{profession or ''}")
    stem = _ILLEGAL.sub("", stem).strip(". ")
    return f"{stem[:100] or '登记表'}.pdf"
