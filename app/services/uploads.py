"""Stored uploads: photos (sniffed, re-encoded, thumbnailed) and document scans.

Files live under ``UPLOAD_DIR`` with random names; the database keeps the relative
path. Nothing is written before the content has been checked.
"""
import os
import secrets
from pathlib import Path

from flask import current_app

from app.services.errors import DomainError
from app.services.images import sanitize_photo, sniff_document, thumbnail


def _root() -> Path:
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def _write(folder: str, suffix: str, data: bytes) -> str:
    rel = f"{folder}/{secrets.token_hex(16)}{suffix}"
    path = _root() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return rel


def store_photo(data: bytes) -> tuple[str, str]:
    """Check and store a photo; return (photo path, thumbnail path), both JPEG without EXIF."""
    clean = sanitize_photo(data)
    thumb = thumbnail(clean)
    return _write("photos", ".jpg", clean), _write("photos", ".thumb.jpg", thumb)


def store_form_file(kind: str, clean: bytes) -> str:
    """Store a photo (clean JPEG) or a signature (clean PNG) of a form answer, already
    checked and re-encoded by :func:`app.services.forms.validation.validate_submission`."""
    if kind == "signature":
        return _write("signatures", ".png", clean)
    return _write("form-photos", ".jpg", clean)


def store_document(data: bytes) -> tuple[str, str]:
    """Check and store a scan (JPEG, PNG or PDF); return (path, MIME type)."""
    mime = sniff_document(data)
    suffix = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[mime]
    if mime.startswith("image/"):
        data = sanitize_photo(data)
        mime, suffix = "image/jpeg", ".jpg"
    return _write("documents", suffix, data), mime


def upload_path(rel: str | None) -> Path | None:
    """Absolute path of a stored upload, refusing anything outside ``UPLOAD_DIR``."""
    if not rel:
        return None
    root = _root().resolve()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise DomainError("文件路径无效。")
    return path if path.is_file() else None


def read_upload(rel: str | None) -> bytes | None:
    """The bytes of a stored upload, or None if it is missing."""
    path = upload_path(rel)
    return path.read_bytes() if path else None
