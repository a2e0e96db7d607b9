"""The session cookie: read only by a request that uses the session, Secure over HTTPS.

Flask opens the session of every request before it knows which view will answer: it
builds a signing serializer, and with a cookie present checks its signature and decodes
it. The permit verification page, the other public pages and the static files mostly never
look at it, yet paid for it on every request — and for saving it again at the end
(bench/request_profile.py). Here the cookie is kept as it came and decoded the first time
anything reads or writes the session; a session nobody touched is not saved, and the
response does not vary on the cookie.

The cookie is ``Secure`` when configured so (the production default) or when the request
came over HTTPS (directly, or through a trusted proxy with ``PROXY_FIX``); see app/security.py.
"""
from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature


class LazyCookieSession(SecureCookieSession):
    """A signed-cookie session whose cookie is decoded on the first read or write.

    ``loader`` returns the cookie's data (or None); until it has run, ``loaded`` is False.
    Every way into the mapping loads first, so code that holds the object itself (the test
    client's ``session_transaction``) sees the same data as code going through ``flask.session``.
    """

    def __init__(self, loader=None) -> None:
        super().__init__()
        self._loader = loader

    @property
    def loaded(self) -> bool:
        """Whether the cookie has been decoded (or there was none to decode)."""
        return self._loader is None

    def _load(self) -> None:
        loader, self._loader = self._loader, None
        if loader is not None:
            data = loader()
            if data:
                dict.update(self, data)  # the stored data: not a modification


def _loading(name: str):
    method = getattr(SecureCookieSession, name)

    def loaded_first(self, *args, **kwargs):
        if self._loader is not None:
            self._load()
        return method(self, *args, **kwargs)

    loaded_first.__name__ = name
    return loaded_first


# Every read and write of the mapping, including those ``dict(session)`` and ``bool(session)`` use.
for _name in ("__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__len__", "__repr__",
              "__eq__", "__ne__", "__or__", "__ior__", "__reversed__", "get", "setdefault", "pop", "popitem",
              "update", "clear", "keys", "values", "items", "copy"):
    setattr(LazyCookieSession, _name, _loading(_name))
del _name


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened lazily, with one serializer per secret key."""

    session_class = LazyCookieSession

    def __init__(self) -> None:
        self._serializers: dict = {}

    def get_signing_serializer(self, app: Flask):
        # Building a serializer (keys, salt, signer) per request was most of the cost of an
        # untouched session; it depends only on the keys, so it is kept per key set.
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self._serializers[key] = serializer
        return serializer

    def open_session(self, app: Flask, request) -> LazyCookieSession | None:
        if not app.secret_key:
            return None
        if "HTTP_COOKIE" not in request.environ:
            return LazyCookieSession()  # no cookie at all: not even the header to parse
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return LazyCookieSession()

        def load():
            max_age = int(app.permanent_session_lifetime.total_seconds())
            try:
                return self.get_signing_serializer(app).loads(value, max_age=max_age)
            except BadSignature:
                return None

        return LazyCookieSession(load)

    def save_session(self, app: Flask, session, response) -> None:
        if isinstance(session, LazyCookieSession) and not session.loaded:
            return  # nobody read or wrote it: the cookie stays as the browser has it
        super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
