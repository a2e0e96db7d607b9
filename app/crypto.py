"""Field encryption and the installation's own keys (SPEC §3.18, §3.20; 商用密码应用).

One module for every value stored encrypted (two-factor secrets today; personal data such
as ID numbers and phones later): SM4 in GCM mode, i.e. authenticated encryption — a value
altered in the database, or moved to another column, fails to decrypt instead of giving
something wrong. The key never lives in the database.

**Stored form.** ``sm4gcm:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`` — 12 random
bytes of nonce per value, a 16-byte tag. The key id says which key wrote the value, so a
new key can be brought in later while old values still read (a :class:`Keyring` holds
every key by id; ``encrypt`` always uses the current one). The *context* of a value (for
example ``"user.totp_secret"``) is bound in as associated data: a ciphertext copied into
another column does not decrypt there.

**Where the key comes from** (:func:`init_app`, called by the factory):

* ``DATA_ENCRYPTION_KEY`` — 32 hexadecimal digits (128 bits, SM4's key size), with
  ``DATA_ENCRYPTION_KEY_ID`` naming it (default ``1``). Production refuses to start
  without it: a key made up on the spot would make every stored secret unreadable after
  the next restart on another machine.
* Otherwise (a trial or development installation) a random key generated once and kept in
  ``instance/data.key`` (``DATA_ENCRYPTION_KEY_FILE``), readable by its owner only (0600).
* ``DATA_ENCRYPTION_OLD_KEYS`` — earlier keys still needed to *read* values, written
  ``<id>:<32 hex digits>`` and separated by commas (during a key rotation, or to restore a
  backup made before one). New values are always written with the current key;
  ``flask rotate-data-key`` (app/commands/data_key.py) rewrites the old ones.

Keep the key apart from the database backups: a backup holds ciphertexts only.

Other purposes take their own key from :meth:`Keyring.subkey` (HKDF over SM3), never the
encryption key itself: the keyed **blind index** over personal data (:meth:`Keyring.blind_index`,
HMAC-SM3 of the normalised value) that lets the system find "the expert with this ID number"
without decrypting every row, and the key fingerprint a backup records.

:func:`key_file` is also how the factory keeps a generated ``SECRET_KEY`` for a
development installation (``instance/secret_key``).
"""
from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

SCHEME = "sm4gcm"
KEY_BYTES = 16  # SM4 keys are 128 bits
NONCE_BYTES = 12
TAG_BYTES = 16
EXTENSION = "data_keyring"


class DecryptionError(ValueError):
    """A stored value that does not decrypt: altered, moved, or written under an unknown key."""


UNREADABLE_TEXT = "【无法解密：该项数据已被改动或密钥不符，请联系系统管理员】"


class UnreadableValue(str):
    """What a personal-data column reads as when its stored value does not decrypt.

    Pages show the Chinese message in place of the one field (never an error page); the
    original ciphertext travels along in ``stored`` so that saving the record unchanged
    writes it back as it was, and ``flask check-integrity`` reports the field.
    """

    def __new__(cls, stored: str, reason: str = ""):
        value = super().__new__(cls, UNREADABLE_TEXT)
        value.stored = stored
        value.reason = reason
        return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_key(text: str) -> bytes:
    """A key written as 32 hexadecimal digits → its 16 bytes; anything else is refused."""
    try:
        key = binascii.unhexlify((text or "").strip())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError("DATA_ENCRYPTION_KEY 须为32位十六进制数（128位 SM4 密钥），"
                         "可用 python3 -c \"import secrets; print(secrets.token_hex(16))\" 生成。")
    return key


def is_encrypted(value: object) -> bool:
    """True for a value in this module's stored form (whatever key wrote it)."""
    return isinstance(value, str) and value.startswith(SCHEME + ":")


@dataclass
class Keyring:
    """The keys by id; ``current_id`` names the one new values are written with."""

    current_id: str
    keys: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self):
        if self.current_id not in self.keys:
            raise ValueError("当前密钥不在密钥环中。")
        for key_id, key in self.keys.items():
            if ":" in key_id or not key_id or len(key) != KEY_BYTES:
                raise ValueError(f"密钥 {key_id!r} 无效。")

    def encrypt(self, plaintext: str, context: str) -> str:
        """``plaintext`` in the stored form, under the current key, bound to ``context``."""
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(self.keys[self.current_id]), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(context.encode("utf-8"))
        body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
        return f"{SCHEME}:{self.current_id}:{_b64(nonce + body + encryptor.tag)}"

    def decrypt(self, stored: str, context: str) -> str:
        """The plaintext of ``stored``; :class:`DecryptionError` if it is not authentic."""
        scheme, _, rest = (stored or "").partition(":")
        key_id, _, payload = rest.partition(":")
        if scheme != SCHEME or not payload:
            raise DecryptionError("不是加密存储的值。")
        if key_id not in self.keys:
            raise DecryptionError(f"加密密钥 {key_id} 不可用（DATA_ENCRYPTION_KEY 与写入时不同）。")
        try:
            raw = _unb64(payload)
        except (binascii.Error, ValueError):
            raise DecryptionError("加密值已损坏。") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("加密值已损坏。")
        nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(self.keys[key_id]), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(context.encode("utf-8"))
        try:
            return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
        except InvalidTag:
            raise DecryptionError("加密值校验失败：已被改动，或密钥与写入时不同。") from None

    def needs_rewrite(self, stored: str) -> bool:
        """True for a value written under another key than the current one (for a later re-key)."""
        return not is_encrypted(stored) or stored.split(":", 2)[1] != self.current_id

    def key_id_of(self, stored: str) -> str | None:
        """The id of the key that wrote ``stored`` (None for a value not in the stored form)."""
        return stored.split(":", 2)[1] if is_encrypted(stored) and stored.count(":") >= 2 else None

    def subkey(self, purpose: str, length: int = 32, key_id: str | None = None) -> bytes:
        """A key for another ``purpose`` (e.g. ``"blind-index"``), derived from the current key
        (or key ``key_id``) with HKDF over SM3, so no two purposes ever share key material."""
        cache = self.__dict__.setdefault("_subkeys", {})
        key_id = key_id or self.current_id
        wanted = (purpose, length, key_id)
        if wanted not in cache:
            cache[wanted] = HKDF(algorithm=hashes.SM3(), length=length, salt=None,
                                 info=f"expertpool:{purpose}".encode()).derive(self.keys[key_id])
        return cache[wanted]

    def blind_index(self, normalised: str, purpose: str, key_id: str | None = None) -> str:
        """The keyed blind index of an already normalised value: HMAC-SM3 under a subkey of the
        current key (or ``key_id``) for ``purpose`` (e.g. ``"expert.id_number"``), in hex.

        Equal values give equal indexes, so an equality search or a unique constraint works on
        the index column; without the key nobody can test a guessed ID number against it.
        """
        mac = hmac.HMAC(self.subkey("blind-index:" + purpose, key_id=key_id), hashes.SM3())
        mac.update(normalised.encode("utf-8"))
        return mac.finalize().hex()

    def blind_indexes(self, normalised: str, purpose: str) -> list[str]:
        """The value's blind index under every key of the ring, current key first: a search
        finds rows whether or not a key rotation has reached them yet."""
        ids = [self.current_id] + sorted(k for k in self.keys if k != self.current_id)
        return [self.blind_index(normalised, purpose, key_id) for key_id in ids]

    def fingerprint(self, key_id: str) -> str:
        """A short public fingerprint of key ``key_id`` (a backup records it so that a restore
        can name the key its data needs); reveals nothing about the key."""
        return self.subkey("fingerprint", 8, key_id).hex()


# --------------------------------------------------------------------------------------
# key files of a trial installation
# --------------------------------------------------------------------------------------


def key_file(path: str | os.PathLike, nbytes: int) -> str:
    """The hexadecimal key kept in ``path``, created once with ``nbytes`` random bytes.

    The file is created readable by its owner only (0600) and never overwritten; a file
    left readable by others is tightened to 0600. Two processes starting at once both end
    up with the first one's key (the file is created exclusively).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(nbytes) + "\n")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)
    for _ in range(50):  # the other process may still be writing it
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.02)
    raise RuntimeError(f"密钥文件 {path} 为空。")


# --------------------------------------------------------------------------------------
# the app's keyring
# --------------------------------------------------------------------------------------


def parse_old_keys(text: str | None) -> dict[str, bytes]:
    """``DATA_ENCRYPTION_OLD_KEYS`` (``"1:<hex>,2:<hex>"``) → {key id: key}; refuses anything else."""
    keys: dict[str, bytes] = {}
    for item in (text or "").replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, hex_key = item.partition(":")
        if not sep or not key_id.strip():
            raise ValueError("DATA_ENCRYPTION_OLD_KEYS 的格式为“编号:32位十六进制数”，多个之间用逗号分隔。")
        keys[key_id.strip()] = parse_key(hex_key)
    return keys


def keyring_from_config(config, instance_path: str) -> Keyring:
    """The keyring a configuration describes (see the module docstring)."""
    key_id = str(config.get("DATA_ENCRYPTION_KEY_ID") or "1")
    old = parse_old_keys(config.get("DATA_ENCRYPTION_OLD_KEYS"))
    configured = config.get("DATA_ENCRYPTION_KEY")
    if configured:
        current = parse_key(configured)
    elif config.get("ENV_NAME") == "production":
        raise RuntimeError("DATA_ENCRYPTION_KEY 未设置：生产环境必须通过环境变量提供数据加密密钥"
                           "（32位十六进制数，保存在数据库之外）。")
    else:
        path = config.get("DATA_ENCRYPTION_KEY_FILE") or os.path.join(instance_path, "data.key")
        current = parse_key(key_file(path, KEY_BYTES))
    if key_id in old and old[key_id] != current:
        raise ValueError(f"DATA_ENCRYPTION_OLD_KEYS 中的密钥 {key_id} 与当前密钥编号相同但内容不同。")
    return Keyring(key_id, {**old, key_id: current})


def init_app(app: Flask) -> None:
    """Load the app's keyring once; raises ``RuntimeError`` (production without a key)."""
    app.extensions[EXTENSION] = keyring_from_config(app.config, app.instance_path)


def keyring() -> Keyring:
    """The current app's keyring."""
    return current_app.extensions[EXTENSION]


def encrypt(plaintext: str | None, context: str) -> str | None:
    """``plaintext`` encrypted with the current app's key (None and "" stay as they are)."""
    if plaintext in (None, ""):
        return plaintext
    return keyring().encrypt(plaintext, context)


def decrypt(stored: str | None, context: str) -> str | None:
    """The plaintext of a stored value (None and "" stay as they are)."""
    if stored in (None, ""):
        return stored
    return keyring().decrypt(stored, context)
