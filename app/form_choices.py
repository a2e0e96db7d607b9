"""WTForms options from the code → 中文 label tables of ``models.choices``.

WTForms 3.3 deprecates ``(value, label)`` tuples as a field's choices (they go in 3.4); the
fields we build take ``SelectChoice`` objects from here. Flask-Admin's own ``form_choices``
still take tuples: Flask-Admin builds those fields itself.
"""
from collections.abc import Iterable, Mapping

from wtforms import SelectChoice


def options(pairs: Mapping[str, str] | Iterable[tuple[str, str]], *, blank: str | None = None) -> list[SelectChoice]:
    """``pairs`` (a code → label dict or (code, label) pairs) as options, after an optional
    first option ``blank`` with the empty value (e.g. "请选择")."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(value, label) for value, label in items]
