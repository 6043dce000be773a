"""The program's version, read once, low in the package order so that logging, the admin commands
and the client export can name it without importing `iopdesk` itself (whose `__init__` opens the
whole domain through `Clinic`).

It comes from the installed package's metadata (pyproject.toml's `version`, stamped into the
bundle by installer/iopdesk.spec with copy_metadata); a checkout run without installing reads
pyproject.toml itself. `iopdesk.__version__` re-exports it.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from pathlib import Path


def _pyproject_version() -> str:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0.0.0+unknown"


try:
    __version__ = _version("iopdesk")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = _pyproject_version()
