"""Phone or desktop: where a town or department login lands (SPEC §1 "phone workspace").

On a phone, 镇街 and 局科室/大队 staff work in the field and land on ``/m/``; on a desktop on
``/admin/``. The decision, in order:

1. the user's own choice, remembered in the ``workspace`` cookie by the links between the two
   (``/m/switch/phone`` and ``/m/switch/desktop``) — the client-side switch;
2. the browser's own word: the ``Sec-CH-UA-Mobile: ?1`` client hint (Chromium browsers send
   it on every request), or a user agent that says ``Mobi``, ``iPhone`` or ``Android … Mobile``
   (MDN's advice: "Mobi" anywhere in the string means a phone; tablets are desktops here);
3. a narrow screen: the login page stores the window width in the ``vw`` cookie
   (``static/viewport-hint.js``); below :data:`NARROW_PX` counts as a phone.
"""
from __future__ import annotations

import re

from flask import has_request_context, request

#: Roles whose day is on the phone workspace (the others land as before).
WORKSPACE_ROLES = ("department", "town")
PREFERENCE_COOKIE = "workspace"
WIDTH_COOKIE = "vw"
NARROW_PX = 700
ONE_YEAR = 365 * 24 * 3600

_MOBILE_UA = re.compile(r"Mobi|iPhone|iPod|Android.*Mobile|HarmonyOS.*Phone", re.IGNORECASE)


def preference() -> str | None:
    """``"phone"`` or ``"desktop"`` when the user chose one on this browser, else None."""
    value = request.cookies.get(PREFERENCE_COOKIE)
    return value if value in ("phone", "desktop") else None


def looks_like_phone() -> bool:
    """What the request's headers say: a mobile browser or a narrow window (no choice made)."""
    if request.headers.get("Sec-CH-UA-Mobile") == "?1":
        return True
    if _MOBILE_UA.search(request.headers.get("User-Agent", "")):
        return True
    width = request.cookies.get(WIDTH_COOKIE, "")
    return width.isdigit() and 0 < int(width) < NARROW_PX


def wants_phone() -> bool:
    """Whether this request should be served the phone workspace (see the module docstring)."""
    if not has_request_context():
        return False
    chosen = preference()
    if chosen is not None:
        return chosen == "phone"
    return looks_like_phone()
