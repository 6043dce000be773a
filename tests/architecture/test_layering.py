"""The layers point one way: ui → reports → iopdesk. The domain and the writers never load Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.architecture import import_graph

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


# -- package order and cycles, read from the source by tests/architecture/import_graph.py -------------------
PRODUCT = ("iopdesk", "reports", "ui")

# Lowest first; a module may import its own rank or lower. Every module must fall under an entry
# (the longest matching name wins), so a new package has to be given its place here.
RANKS = {
    "iopdesk.kernel": 0, "iopdesk.errors": 0, "iopdesk.paths": 0, "iopdesk.passwords": 0,
    "iopdesk.permissions": 0,
    "iopdesk.logs": 0,  # imports only paths and the version: every layer may log
    "iopdesk.storage": 1, "iopdesk.models": 1,
    "iopdesk.clinical": 2,
    "iopdesk.audit": 3,
    # Migrations are files playhouse runs from their folder (nothing imports them); one upgrading
    # an existing clinic keys its audit chain (0006), so they may use code up to the audit chain.
    "iopdesk.storage.migrations": 3,
    "iopdesk.backup": 4, "iopdesk.interchange": 4, "iopdesk.sync": 4,
    "iopdesk.services": 5,
    "iopdesk.clinic": 6,
    "iopdesk": 7,  # the package's __init__ only (it re-exports open_clinic); modules have entries
    "iopdesk.cli": 7, "iopdesk.demo": 7,
    "reports": 8,
    "ui": 9,
}
MAX_TOP_LEVEL_MODULES = 8


def _product_imports() -> list[import_graph.Import]:
    return import_graph.imports(ROOT, PRODUCT)


def test_every_import_points_to_its_own_rank_or_lower():
    """kernel ← storage, models ← clinical ← audit ← backup, interchange, sync ← services ← clinic
    ← cli, demo ← reports ← ui: no module imports a higher rank, not even inside a function."""
    modules = import_graph.find_modules(ROOT, PRODUCT)
    unplaced = sorted({".".join(m.split(".")[:2]) for m in modules if m.startswith("iopdesk.")} - set(RANKS))
    assert not unplaced, f"give each package and module of iopdesk/ its rank in RANKS: {unplaced}"
    assert import_graph.unranked(modules, RANKS) == []
    upward = import_graph.upward_imports(_product_imports(), RANKS)
    assert not upward, "imports of a higher rank:\n" + "\n".join(upward)


def test_no_import_cycle_among_product_modules():
    """No two modules of iopdesk, reports or ui import each other, directly or round a loop,
    counting imports inside functions."""
    found = import_graph.cycles(_product_imports())
    assert not found, "import cycles:\n" + "\n".join(map(import_graph.describe_cycle, found))


def test_iopdesk_top_level_holds_few_modules():
    """iopdesk/ is packages by concept; only a handful of modules sit beside them."""
    loose = sorted(p.name for p in (ROOT / "iopdesk").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= MAX_TOP_LEVEL_MODULES, loose


# -- the checker's own tests: a small package written into tmp_path ----------------------------
def _package(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return root


CLINIC_PACKAGE = {
    "desk/__init__.py": "",
    "desk/kernel/__init__.py": "",
    "desk/kernel/clock.py": "import datetime\n",
    "desk/storage/__init__.py": "",
    "desk/storage/db.py": "from desk.kernel import clock\n",
    "desk/services/__init__.py": "",
    "desk/services/notes.py": "from ..storage import db\nfrom . import alerts\n",
    "desk/services/alerts.py": """\
        from typing import TYPE_CHECKING

        from desk.storage.db import *

        if TYPE_CHECKING:
            from desk.services.notes import NoteService
        """,
}
CLINIC_RANKS = {"desk": 9, "desk.kernel": 0, "desk.storage": 1, "desk.services": 2}


def test_checker_passes_a_clean_package(tmp_path):
    """Imports that point down (relative ones included) and a TYPE_CHECKING import back up are fine."""
    root = _package(tmp_path, CLINIC_PACKAGE)
    edges = import_graph.imports(root, ["desk"])
    assert {(e.source, e.target) for e in edges} == {
        ("desk.storage.db", "desk.kernel.clock"), ("desk.services.notes", "desk.storage.db"),
        ("desk.services.notes", "desk.services.alerts"), ("desk.services.alerts", "desk.storage.db")}
    assert import_graph.cycles(edges) == []
    assert import_graph.upward_imports(edges, CLINIC_RANKS) == []


def test_checker_finds_a_cycle_hidden_in_a_function_level_import(tmp_path):
    """A function that imports its importer closes a cycle; the report names each step's file:line."""
    root = _package(tmp_path, {**CLINIC_PACKAGE, "desk/services/alerts.py": """\
        def raise_alert():
            from desk.services.notes import sign

            return sign
        """})
    found = import_graph.cycles(import_graph.imports(root, ["desk"]))
    assert [import_graph.describe_cycle(c) for c in found] == [
        "desk.services.alerts → desk.services.notes (desk/services/alerts.py:2) "
        "→ desk.services.alerts (desk/services/notes.py:2)"]


def test_checker_finds_an_upward_import_across_ranks(tmp_path):
    """Storage reaching up into the services, inside a function, is reported with both ranks."""
    root = _package(tmp_path, {**CLINIC_PACKAGE, "desk/storage/db.py": """\
        from desk.kernel import clock


        def damaged_message():
            import desk.services.alerts
        """})
    edges = import_graph.imports(root, ["desk"])
    assert import_graph.upward_imports(edges, CLINIC_RANKS) == [
        "desk/storage/db.py:5: desk.storage.db (rank 1) imports desk.services.alerts (rank 2)"]
    assert len(import_graph.cycles(edges)) == 1


def test_checker_names_modules_no_rank_covers(tmp_path):
    """A package missing from the ranks is reported rather than passed."""
    root = _package(tmp_path, {**CLINIC_PACKAGE, "desk/billing/__init__.py": ""})
    modules = import_graph.find_modules(root, ["desk"])
    assert import_graph.unranked(modules, {k: v for k, v in CLINIC_RANKS.items() if k != "desk"}) == [
        "desk", "desk.billing"]
