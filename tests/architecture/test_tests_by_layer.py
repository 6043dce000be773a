"""The tests are by layer, and only the widget tests load Qt: collecting every other folder with
pytest-qt switched off (`-p no:pytest-qt`: the plugin's entry-point name; `no:pytestqt` does not
block it) imports no PySide6, so the domain's tests run where Qt cannot. Each fixture name is
defined once under tests/, so a test's `chart` or `day` means one thing wherever it is read; a
fixture more than one module needs lives in the narrowest conftest.py, never imported from a test
module."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
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


def fixture_name(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name a test asks for the fixture by (its `name=` if given), or None when not a fixture."""
    for decorator in function.decorator_list:
        if "fixture" in ast.unparse(decorator):
            for keyword in getattr(decorator, "keywords", []):
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return keyword.value.value
            return function.name
    return None


def fixtures_under(folder: Path) -> dict[str, list[str]]:
    """Every fixture name defined in a .py under `folder`, with where ("path:line") each is defined."""
    places: dict[str, list[str]] = defaultdict(list)
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (name := fixture_name(node)):
                places[name].append(f"{path.relative_to(folder.parent).as_posix()}:{node.lineno}")
    return places


def twice_defined(folder: Path) -> list[str]:
    return [f"fixture {name!r} is defined in {' and in '.join(where)}"
            for name, where in sorted(fixtures_under(folder).items()) if len(where) > 1]


def fixtures_taken_from_test_modules(folder: Path) -> list[str]:
    """Fixtures a module gets from a test module (`from tests.x.test_y import chart`, or
    `chart = test_y.chart` after `from tests.x import test_y`) instead of from a conftest."""
    by_module: dict[str, set[str]] = defaultdict(set)
    for name, places in fixtures_under(folder).items():
        for place in places:
            by_module[place.rsplit(".py:", 1)[0].replace("/", ".")].add(name)
    found = []
    for path in sorted(folder.rglob("*.py")):
        where = path.relative_to(folder.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests"):
                for alias in node.names:
                    if alias.name in by_module.get(node.module, ()):
                        found.append(f"{where}:{node.lineno} imports fixture {alias.name!r} from {node.module}")
                    elif f"{node.module}.{alias.name}" in by_module:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr in by_module[aliases[node.value.id]]):
                found.append(f"{where}:{node.lineno} takes fixture {node.attr!r} from {aliases[node.value.id]}")
    return found


def test_no_fixture_name_is_defined_twice_under_tests():
    """Two fixtures under one name are a trap: which one a test gets depends on where it sits.
    One that builds the same thing lives once, in the narrowest conftest.py its users share; ones
    that build different things are named for what they build."""
    assert twice_defined(ROOT / "tests") == []


def test_no_test_module_takes_a_fixture_from_another_test_module():
    """A fixture two modules need is in a conftest.py both see, not imported (or aliased) from one of them."""
    assert fixtures_taken_from_test_modules(ROOT / "tests") == []


def test_the_fixture_checks_name_both_places_and_count_name_keywords(tmp_path):
    """The checks themselves, on a small tests/ folder: a `name=` fixture counts by that name, and
    both definitions are named; an imported and an aliased fixture are each reported."""
    folder = tmp_path / "tests"
    (folder / "ui").mkdir(parents=True)
    (folder / "conftest.py").write_text("import pytest\n\n@pytest.fixture\ndef chart():\n    return 1\n")
    (folder / "ui" / "test_plan.py").write_text(
        "import pytest\n\n@pytest.fixture(name='chart')\ndef chart_with_plan():\n    return 2\n\n"
        "@pytest.fixture\ndef day():\n    return 3\n")
    (folder / "ui" / "test_notes.py").write_text(
        "from tests.ui.test_plan import day\nfrom tests.ui import test_plan\nsame_day = test_plan.day\n")
    assert twice_defined(folder) == ["fixture 'chart' is defined in tests/conftest.py:4 and in tests/ui/test_plan.py:4"]
    assert fixtures_taken_from_test_modules(folder) == [
        "tests/ui/test_notes.py:1 imports fixture 'day' from tests.ui.test_plan",
        "tests/ui/test_notes.py:3 takes fixture 'day' from tests.ui.test_plan",
    ]
