"""IOP Desk domain: clients, episodes, groups, notes, plans, medications, measures, billing.

No Qt here. Everything goes through `open_clinic(url)`, which returns a `Clinic`.

`__version__` comes from the installed package's metadata (pyproject.toml's `version`, stamped
into the bundle by installer/iopdesk.spec with copy_metadata); a checkout run without installing
reads pyproject.toml itself.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version


def _pyproject_version() -> str:
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0.0.0+unknown"


try:
    __version__ = _version("iopdesk")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = _pyproject_version()

from iopdesk.clinic import Clinic, open_clinic  # noqa: E402

__all__ = ["Clinic", "open_clinic", "__version__"]
