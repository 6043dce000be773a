"""Guard against the PySide6 6.12.0 + Python 3.11 abort on Qt calls that return nothing.

That combination under-counts references to None on every void Qt call, and the interpreter
aborts ("none_dealloc") after a few thousand. The calls run in a subprocess so an abort shows up
as a failed exit status here instead of killing the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import PySide6

CALLS = 100_000

SNIPPET = textwrap.dedent(f"""
    from PySide6.QtCore import QObject, QPoint, QRect

    point, rect, obj = QPoint(), QRect(), QObject()
    for i in range({CALLS}):
        point.setX(i)
        rect.setWidth(i)
        obj.setObjectName("x")
    print("done", point.x(), rect.width())
""")


def test_100k_void_qt_calls_do_not_abort_the_interpreter():
    """A screen that sets many cells, rectangles or names must not crash the workstation."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, text=True,
                            timeout=300, env=env)
    versions = f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}"
    assert result.returncode == 0, (
        f"{CALLS:,} void Qt calls ended with status {result.returncode} on {versions} "
        f"(known abort on PySide6 6.12.0 + Python 3.11: use Python 3.12+ or PySide6 < 6.12)\n"
        f"{result.stderr[-2000:]}"
    )
    assert result.stdout.split() == ["done", str(CALLS - 1), str(CALLS - 1)], versions
