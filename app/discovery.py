"""Import every module of a package so that each area registers itself.

Areas (lifecycle, permits, dispatch, scoring, fees…) each live in their own module
and attach routes, admin views, demo data or CLI commands there; the package that
hosts them lists nothing by hand, so adding an area never edits a shared file.
"""
import importlib
import pkgutil
from types import ModuleType


def submodules(package: str) -> list[ModuleType]:
    """The direct submodules of ``package``, imported, in name order."""
    pkg = importlib.import_module(package)
    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{package}.{name}") for name in names]
