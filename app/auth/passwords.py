"""Password hashing with argon2id (OWASP parameters) and the password policy."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from app.services.errors import DomainError

# OWASP: argon2id, m=19 MiB, t=2, p=1 is the floor; we use 64 MiB, t=3.
_STRONG = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
# Tests only: the same algorithm with a tiny cost so the suite stays fast.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

MIN_LENGTH = 10
COMMON_PASSWORDS = frozenset(
    """
    1234567890 12345678910 123456789a 0123456789 1111111111 0000000000 1234512345
    qwertyuiop qwerty1234 password12 password123 passw0rd12 iloveyou12 abc1234567
    abcd123456 a123456789 aa12345678 woaini1314 woaini520 5201314520 1q2w3e4r5t
    1qaz2wsx3edc qazwsxedc1 admin12345 admin123456 administrator letmein123 welcome123
    zxcvbnm123 asdfghjkl1 11111111111 88888888888 66666666666 12341234123
    """.split()
)


def _hasher() -> PasswordHasher:
    return _FAST if current_app.config.get("PASSWORD_HASH_FAST") else _STRONG


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True if ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, username: str = "") -> None:
    """Refuse short, common or username-derived passwords with a Chinese message."""
    if len(password) < MIN_LENGTH:
        raise DomainError(f"密码长度不能少于{MIN_LENGTH}位。")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) <= 2:
        raise DomainError("密码过于常见，请换一个更难猜的密码。")
    if username and username.lower() in lowered:
        raise DomainError("密码不能包含用户名。")
