"""WTForms adapters over the domain checks in ``app.services``: one rule, one place.

Each adapter turns a ``DomainError`` into a ``ValidationError`` so the form shows the
Chinese message next to the field and nothing is saved.
"""
import datetime as dt
from datetime import date

from wtforms.validators import StopValidation, ValidationError

from app import clock
from app.services import identity
from app.services.errors import DomainError


def _wrap(check, normalize: bool = True):
    def validator(form, field):
        if field.data in (None, ""):
            return
        try:
            value = check(field.data)
        except DomainError as err:
            raise ValidationError(str(err)) from err
        if normalize and isinstance(value, str):
            field.data = value

    return validator


id_number = _wrap(identity.check_id_number)
uscc = _wrap(identity.check_uscc)
mobile = _wrap(identity.check_mobile)
landline_or_mobile = _wrap(identity.check_phone)
email = _wrap(identity.check_email)


def not_in_future(form, field):
    """A date field may not lie in the future."""
    if field.data and isinstance(field.data, date) and field.data > clock.today():
        raise ValidationError("日期不能晚于今天。")


def required(message: str):
    """DataRequired with our own Chinese message."""

    def validator(form, field):
        if field.data in (None, "", []) or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            raise StopValidation(message)

    validator.field_flags = {"required": True}
    return validator


# --- form values read by hand (phone pages, the admin's action forms) ---

def parse_date(value: str | None, what: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` form value; empty → None; anything else → a Chinese refusal."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{what}格式不正确，应为“年-月-日”，例如2026-03-05。") from None


def parse_datetime(value: str | None, what: str) -> dt.datetime | None:
    """A ``YYYY-MM-DDTHH:MM`` form value (``datetime-local``); empty → None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise DomainError(f"{what}格式不正确，应为“年-月-日 时:分”，例如2026-03-05 22:30。") from None
