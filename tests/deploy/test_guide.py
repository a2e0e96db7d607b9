"""The deployment guide is the script: docs/deployment.md shows every line of
scripts/deploy.sh and scripts/restore-drill.sh, in order, so the two cannot drift; the
commands it shows for typing by hand keep passwords off the command line and run flask only
through expertpool-flask; the scripts keep the rules the guide promises (secrets never in
argv, the environment file private from its first byte, nginx's headers on every answer).

Cheap: reads files and runs ``bash -n``; needs no root. The deployment itself is tested by
scripts/deploy-test.sh (CI).
"""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deployment.md"
SCRIPTS = ("scripts/deploy.sh", "scripts/restore-drill.sh")
FENCE = re.compile(r"^```([\w-]*)[ \t]*(\S*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def _blocks() -> list[tuple[str, str, int]]:
    """(script named in the fence or "", body, line number) of every fenced block of the guide."""
    text = GUIDE.read_text(encoding="utf-8")
    return [(m.group(2), m.group(3), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


def _lines(text: str) -> list[str]:
    """Non-blank lines without trailing spaces: blank lines may split a block anywhere."""
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _script(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_guide_shows_every_line_of_the_script_in_order(script):
    shown = [line for name, body, _ in _blocks() if name == script for line in _lines(body)]
    actual = _lines(_script(script))
    assert shown, f"the guide shows no block marked {script}"
    for i, (in_guide, in_script) in enumerate(zip(shown, actual, strict=False)):
        assert in_guide == in_script, (
            f"{script}, line {i + 1} of its non-blank lines: the guide shows\n  {in_guide!r}\nthe script has\n"
            f"  {in_script!r}\nchange both together (docs/deployment.md walks through the script line by line)")
    first_unmatched = (f"missing from the guide: {actual[len(shown)]!r}" if len(shown) < len(actual)
                       else f"extra in the guide: {shown[len(actual)]!r}" if len(shown) > len(actual) else "")
    assert len(shown) == len(actual), (
        f"{script}: the guide shows {len(shown)} lines, the script has {len(actual)}; {first_unmatched}")


def test_every_block_marked_with_a_script_names_one_that_exists():
    named = {name for name, _, _ in _blocks() if name}
    assert named == set(SCRIPTS)


BY_HAND_RULES = [
    (re.compile(r"(?<![\w-])flask\s"), "run flask through expertpool-flask (virtualenv, settings, service user)"),
    (re.compile(r"--password(?!-file)"), "a password on the command line stays in the shell history and in ps"),
    (re.compile(r"PASSWORD\s*'"), "a password on the command line stays in the shell history and in ps"),
    (re.compile(r"\bsudo\b|\brunuser -u \S+ --preserve-environment"), "use expertpool-flask"),
]


def test_commands_typed_by_hand_keep_passwords_off_the_command_line():
    typed = [(line_no, body) for name, body, line_no in _blocks() if not name]
    assert typed, "the guide shows the commands of updates, restores and certificates"
    for line_no, body in typed:
        for line in body.splitlines():
            for rule, why in BY_HAND_RULES:
                assert not rule.search(line), f"docs/deployment.md block at line {line_no}: {line!r}: {why}"


def test_the_guide_stands_alone():
    text = GUIDE.read_text(encoding="utf-8")
    assert "../shared" not in text and "SPEC.md" not in text


@pytest.mark.parametrize("script", SCRIPTS + ("scripts/deploy-test.sh",))
def test_the_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start) + len(start)
    return text[i:text.index(end, i)]


def test_passwords_reach_programs_only_on_standard_input():
    deploy = _script("scripts/deploy.sh")
    assert not re.search(r"--password(?!-file)", deploy)
    assert '--password-file - \\\n    <"$ADMIN_PASSWORD_FILE"' in deploy
    sql = _between(deploy, "-d postgres) <<SQL\n", "\nSQL\n")
    env_file = _between(deploy, 'cat >"$ENV_FILE" <<EOF\n', "\nEOF\n")
    # The database password is made, written into the environment file and fed to psql as
    # a here-document; no command line ever carries it.
    for line in deploy.splitlines():
        if "DB_PASSWORD" not in line:
            continue
        assert (line.strip().startswith("DB_PASSWORD=") or (line in sql and "PASSWORD '$DB_PASSWORD'" in line)
                or (line in env_file and line.startswith("DATABASE_URL="))), line


def test_the_environment_file_is_private_from_its_first_byte():
    deploy = _script("scripts/deploy.sh")
    block = _between(deploy, "  (\n", "  )\n")
    assert block.lstrip().startswith("umask 077\n") and 'cat >"$ENV_FILE" <<EOF' in block
    assert len(re.findall(r'(?<!>)>"\$ENV_FILE"', deploy)) == 1  # created nowhere else
    # Keys added later are appended under the same umask, only when absent.
    appends = [line for line in deploy.splitlines() if '>>"$ENV_FILE"' in line]
    assert appends and all("umask 077;" in line and 'grep -q "^$name="' in line for line in appends)


def _nginx_site() -> str:
    return _between(_script("scripts/deploy.sh"), "sites-available/expertpool\" <<'EOF'\n", "\nEOF\n")


def test_nginx_sends_its_headers_on_every_answer():
    """A location with an add_header of its own drops the server's: none may have one."""
    depth, servers, location_headers = 0, [], []
    for line in _nginx_site().splitlines():
        code = line.split("#", 1)[0].strip()
        if code.startswith("server {"):
            servers.append([])
        if code.startswith("add_header") and depth >= 2:
            location_headers.append(code)
        if servers and depth >= 1:
            servers[-1].append(code)
        depth += code.count("{") - code.count("}")
    assert not location_headers, location_headers
    assert len(servers) == 2 and all("server_tokens off;" in s for s in servers)
    https = "\n".join(servers[1])
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in https
    assert "proxy_http_version 1.1;" in https and "proxy_set_header X-Forwarded-For   $remote_addr;" in https
    gzip_types = re.search(r"gzip_types ([^;]+);", _nginx_site()).group(1).split()
    assert {"text/css", "application/javascript", "application/json", "image/svg+xml"} <= set(gzip_types)
    assert "location /admin/static/" in https and "location /static/" in https


def test_gunicorn_listens_on_loopback_only_and_logs_the_client_address():
    conf = _between(_script("scripts/deploy.sh"), "gunicorn.conf.py\" <<'EOF'\n", "\nEOF\n")
    assert 'bind = "127.0.0.1:@APP_PORT@"' in conf
    assert "access_log_format = '%(h)s " in conf  # REMOTE_ADDR after PROXY_FIX: the client's
    assert "os.umask(0o027)" in conf
