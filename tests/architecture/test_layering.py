"""The layers point one way: ui → reports → iopdesk. The domain and the writers never load Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_domain_and_reports_import_without_qt():
    """Importing every module of iopdesk and reports in a fresh interpreter loads no PySide6."""
    code = (
        "import pkgutil, importlib, sys\n"
        "import iopdesk, reports\n"
        "for pkg in (iopdesk, reports):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.migrations.' not in m.name:\n"
        "            importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'ui', 'shiboken6'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(folder: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_imports_point_one_way():
    """iopdesk imports neither reports, ui, Qt, ReportLab nor openpyxl; reports imports no ui or Qt."""
    assert not _imports("iopdesk") & {"ui", "reports", "PySide6", "reportlab", "openpyxl"}
    assert not _imports("reports") & {"ui", "PySide6"}
    assert not _imports("resources") & {"iopdesk", "reports", "ui", "PySide6"}
