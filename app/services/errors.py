"""Domain errors: a refusal carrying a Chinese message for the user."""


class DomainError(Exception):
    """A rule refused the input; ``str(err)`` is the Chinese message shown to the user."""
