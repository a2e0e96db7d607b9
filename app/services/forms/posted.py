"""A filled form as the rendered page posts it, turned into the engine's :class:`Filled`.

The phone renderer (app/mobile/templates/mobile/form_macros.html) names the inputs of a field
by its key: ``f_<key>`` the value (several for multiple choice), ``n_<key>`` the note beside a
score, ``d_<key>`` a photo or signature as a ``data:`` URL (drawn or downscaled by the page's
script), ``p_<key>`` a photo uploaded by a page without script, ``t_<key>`` when a signature was
drawn (ms since 1970), and ``g_<n>`` the section chosen in the n-th alternative group. The
same names are posted by the page itself, by its offline queue and by the load benchmark.
Nothing here decides what is valid: that is :func:`~.validation.validate_submission`.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from app.services.forms.definitions import choice_groups
from app.services.forms.validation import Filled
from models import FormVersion

DATA_URL_RE = re.compile(r"^data:image/(png|jpeg);base64,([A-Za-z0-9+/=\s]+)$")
# A data URL longer than this is not read (a phone photo is downscaled to ~0.5 MB first).
MAX_DATA_URL = 12 * 1024 * 1024


def decode_data_url(text: str | None) -> bytes | None:
    """The bytes of a ``data:image/png|jpeg;base64,…`` URL; None when it is empty or not one."""
    if not text or len(text) > MAX_DATA_URL:
        return None
    match = DATA_URL_RE.match(text.strip())
    if not match:
        return None
    try:
        return base64.b64decode(match.group(2), validate=False)
    except (binascii.Error, ValueError):
        return None


def filled_from_post(version: FormVersion, form, files=None) -> tuple[Filled, dict[str, Any]]:
    """``(Filled, signed_at by key)`` from a posted page (``form``/``files``: werkzeug MultiDicts)."""
    values: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    blobs: dict[str, bytes] = {}
    signed_at: dict[str, Any] = {}
    known = {f.key: f for f in version.fields}
    for name in form.keys():
        prefix, _, key = name.partition("_")
        if prefix == "f" and key:
            got = form.getlist(name)
            field = known.get(key)
            values[key] = got if field is not None and field.kind == "multi" else (got[0] if got else "")
        elif prefix == "n" and key:
            notes[key] = form.get(name, "")
        elif prefix == "d" and key:
            data = decode_data_url(form.get(name))
            if data:
                blobs[key] = data
            elif (form.get(name) or "").strip():
                blobs[key] = b"not an image"  # a mangled picture is refused by the check, not dropped
        elif prefix == "t" and key:
            signed_at[key] = form.get(name)
    for name in (files or {}).keys():
        prefix, _, key = name.partition("_")
        upload = files.get(name)
        if prefix == "p" and key and upload is not None and upload.filename and key not in blobs:
            data = upload.read()
            if data:
                blobs[key] = data
    choices = {}
    for n, (group, _sections) in enumerate(choice_groups(version), start=1):
        raw = form.get(f"g_{n}")
        if raw:
            choices[group] = raw
    return Filled(values=values, notes=notes, files=blobs, choices=choices), signed_at
