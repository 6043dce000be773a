"""The tests are by layer, and only the widget tests load Qt: collecting every other folder with
pytest-qt switched off (`-p no:pytest-qt`: the plugin's entry-point name; `no:pytestqt` does not
block it) imports no PySide6, so the domain's tests run where Qt cannot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WITHOUT_QT = ("tests/domain", "tests/reports", "tests/cli", "tests/sync", "tests/security", "tests/architecture")


def test_the_tests_outside_tests_ui_collect_without_pyside6():
    """Every conftest and test module outside tests/ui imports, with pytest-qt off, and loads no Qt."""
    code = (
        "import sys, pytest\n"
        "class Loaded:\n"
        "    def pytest_collection_finish(self, session):\n"
        "        self.qt = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6', 'pytestqt'))\n"
        "loaded = Loaded()\n"
        f"status = pytest.main(['--collect-only', '-q', '-p', 'no:pytest-qt', '-p', 'no:xdist', *{list(WITHOUT_QT)!r}],"
        " plugins=[loaded])\n"
        "print('QT-LOADED', loaded.qt)\n"
        "sys.exit(int(status))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "QT-LOADED []" in result.stdout, result.stdout[-3000:]
