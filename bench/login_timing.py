"""How long a failed login takes: unknown user, wrong password, locked account (SPEC §3.18).

The login page must not tell an attacker which accounts exist by its words or its time. This
measures ``app.auth.login.authenticate`` with the production password hash (argon2id, 64 MiB,
t=3) on a SQLite file: the median of each kind of failure and its ratio to the wrong-password
case. Before issue 12 a locked account answered about 20 times faster (no hash was checked).

    .venv/bin/python bench/login_timing.py [runs]

Prints the medians and ratios; exit status 1 when a ratio is outside 0.8–1.25.
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.auth import login, throttle  # noqa: E402
from app.auth.passwords import hash_password  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services.errors import DomainError  # noqa: E402
from models import User  # noqa: E402


def main(runs: int = 7) -> int:
    folder = tempfile.mkdtemp()
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "bench-secret", "DATA_ENCRYPTION_KEY": "0" * 32,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(folder, 'login.sqlite3')}",
                      "UPLOAD_DIR": os.path.join(folder, "uploads")})
    with app.app_context(), app.test_request_context():
        db.create_all()
        db.session.add(User(username="zhou", full_name="周焱", role="office", active=True,
                            password_hash=hash_password("Right#2026pass")))
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            throttle.record_failure("locked", "198.51.100.9")
        db.session.add(User(username="locked", full_name="李敏", role="office", active=True,
                            password_hash=hash_password("Right#2026pass")))
        db.session.commit()
        cases = {
            "wrong password": ("zhou", "Wrong#2026pass", "198.51.100.7"),
            "unknown user": ("nobody", "Wrong#2026pass", "198.51.100.8"),
            "locked account": ("locked", "Right#2026pass", "198.51.100.9"),
        }
        timings = {name: [] for name in cases}
        for _ in range(runs + 1):  # the first round warms up
            for name, (user, password, address) in cases.items():
                start = time.perf_counter()
                try:
                    login.authenticate(user, password, address)
                except DomainError:
                    pass
                timings[name].append(time.perf_counter() - start)
                db.session.rollback()
                if name != "locked account":  # keep the others from locking themselves
                    throttle.clear(user, address)
                db.session.commit()
    base = statistics.median(timings["wrong password"][1:])
    ok = True
    print(f"runs: {runs}, load average: {os.getloadavg()[0]:.2f}")
    for name, values in timings.items():
        median = statistics.median(values[1:])
        ratio = median / base
        ok = ok and 0.8 <= ratio <= 1.25
        print(f"{name:15s} median {median * 1000:7.1f} ms   ratio to wrong password {ratio:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 7))
