"""Chinese error pages (and JSON for clients that ask for it)."""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: ("请求有误", "提交的内容无法处理，请返回重试。"),
    403: ("无权访问", "您的账号没有访问此页面的权限。"),
    404: ("页面不存在", "您访问的页面不存在或已被删除。"),
    405: ("请求方式不被允许", "该页面不支持此操作。"),
    413: ("文件过大", "上传的文件超过了允许的大小。"),
    429: ("访问过于频繁", "您的访问过于频繁，请稍后再试。"),
    500: ("服务器内部错误", "系统出现问题，请稍后再试；如持续出现请联系系统管理员。"),
}


def wants_json() -> bool:
    """The client prefers JSON to HTML (the phone's offline queue, API clients)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code: int, message: str | None = None):
    """Render the Chinese page (or JSON) for an HTTP error code."""
    title, default = MESSAGES.get(code, MESSAGES[500])
    text = message or default
    if wants_json():
        return jsonify({"error": title, "message": text}), code
    return render_template("errors/error.html", title=title, message=text), code


def register(app: Flask) -> None:
    """Install a handler per code; CSRF failures get their own explanation."""
    for code in MESSAGES:
        app.register_error_handler(code, lambda err, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def _csrf(err):
        return render_error(400, "页面已过期或缺少安全令牌，请刷新页面后重新提交。")
