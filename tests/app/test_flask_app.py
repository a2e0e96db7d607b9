"""The application class (app.flask_app): Flask's ensure_sync answered once per function."""
import flask.app

from app.flask_app import ExpertPoolFlask


def test_a_plain_function_is_inspected_once_and_returned_as_is(monkeypatch):
    app = ExpertPoolFlask(__name__)
    asked = []
    real = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda f: asked.append(f) or real(f))

    def view():
        return "ok"

    assert all(app.ensure_sync(view) is view for _ in range(5))
    assert asked == [view]


def test_an_async_view_is_still_handed_to_flask(monkeypatch):
    app = ExpertPoolFlask(__name__)
    wrapped = []
    monkeypatch.setattr(ExpertPoolFlask, "async_to_sync", lambda self, f: wrapped.append(f) or (lambda: "sync"))

    async def view():
        return "ok"

    assert app.ensure_sync(view)() == "sync"
    assert app.ensure_sync(view)() == "sync"
    assert wrapped == [view]  # wrapped once, the wrapper kept


def test_the_product_app_serves_requests_with_it(app):
    assert isinstance(app, ExpertPoolFlask)
    assert app.test_client().get("/login").status_code == 200

