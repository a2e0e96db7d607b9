"""WTForms adapters over the domain checks in ``app.services``: one rule, one place.

Each adapter turns a ``DomainError`` into a ``ValidationError`` so the form shows the
Chinese message next to the field and nothing is saved.
"""
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
