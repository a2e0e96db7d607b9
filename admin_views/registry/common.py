"""What the registry pages share."""


def _choices(mapping):
    return list(mapping.items())
