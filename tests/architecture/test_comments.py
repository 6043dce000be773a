"""Comments that name the code's parts stay true: the Clinic's docstring lists every service it
hands out, and the README's layout names every package of iopdesk/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import iopdesk.clinic

ROOT = Path(__file__).resolve().parents[2]


def _service_attributes() -> set[str]:
    tree = ast.parse((ROOT / "iopdesk" / "clinic.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id.endswith("Service")):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id == "self":
                    found.add(target.attr)
    return found


def test_the_clinic_docstring_lists_every_service_it_hands_out():
    attributes = _service_attributes()
    assert len(attributes) > 15, attributes
    listed = set(re.findall(r"`(\w+)`", iopdesk.clinic.__doc__))
    assert attributes <= listed, f"clinic.py's docstring does not name: {sorted(attributes - listed)}"


def test_the_readme_layout_names_every_package_of_iopdesk():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Repository layout"):]
    packages = sorted(p.parent.name for p in (ROOT / "iopdesk").glob("*/__init__.py"))
    assert packages, "iopdesk/ has no packages?"
    missing = [name for name in packages if f"{name}/" not in layout]
    assert not missing, f"README's Repository layout does not show iopdesk/{missing}"
