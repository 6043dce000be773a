"""Quiet the offscreen Qt platform for scripts (screenshots, benchmarks): it prints a line for every
window feature it lacks ("This plugin does not support raise()"), which buries real messages."""

from __future__ import annotations

import sys


def _print_unless_offscreen_note(_mode, _context, message: str) -> None:
    if not message.startswith("This plugin does not support"):
        print(message, file=sys.stderr)


def quiet_offscreen_notes() -> None:
    """Install a Qt message handler that drops the offscreen plugin's notes and prints the rest."""
    from PySide6.QtCore import qInstallMessageHandler

    qInstallMessageHandler(_print_unless_offscreen_note)
