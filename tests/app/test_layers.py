"""The house's layers (pyproject.toml [tool.importlinter], run by ``lint-imports`` in CI) and
what import-linter cannot say: services do not read the web request."""
import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "app" / "services"
#: Modules of app/services allowed to read ``flask.request``, and why.
READS_THE_REQUEST = {
    "audit/hook.py": "an entry records the client's address of the request that made the change",
}


def _imports_request(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            if any(alias.name == "request" for alias in node.names):
                return True
        if isinstance(node, ast.Attribute) and node.attr == "request" and getattr(node.value, "id", "") == "flask":
            return True
    return False


def test_services_take_their_input_as_arguments_not_from_the_request():
    readers = sorted(str(path.relative_to(SERVICES)) for path in SERVICES.rglob("*.py")
                     if _imports_request(ast.parse(path.read_text(encoding="utf-8"))))
    assert readers == sorted(READS_THE_REQUEST), readers


def test_the_layer_contracts_hold():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(SERVICES.parents[1] / "pyproject.toml")) == 0
