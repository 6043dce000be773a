"""Data files shipped with IOP Desk (codes, measures, templates, roles, style sheets, fonts).

`path()` finds a file whether the program runs from a checkout, an installed wheel or a bundle.
Imports nothing of ours and nothing of Qt.
"""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """The path of a resource file, e.g. path("roles.toml")."""
    return _ROOT.joinpath(*parts)
