"""The import graph of our packages, read from the source with `ast`, for the layering tests.

Every import counts, the ones inside functions too: a deferred import still ties two modules
together (it only hides the cycle until the function runs). Imports under `if TYPE_CHECKING:`
are left out: they are never run, they only name types for the checker. Relative imports are
resolved against the importing module. An edge goes to the deepest module the import names
(`from iopdesk.audit import chain` → `iopdesk.audit.chain`); the parent packages Python also
initialises on the way are not counted, or every module would sit in a cycle with its package.
Standard library only, so the checker runs wherever the tests do.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One import statement's edge: `source` imports `target` at `path`:`line`."""

    source: str
    target: str
    path: Path
    line: int

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def find_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name → file, for every .py file under the top-level `packages` in `root`."""
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _run_imports(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import statement that may run: anywhere in the tree, except in the body of an
    `if TYPE_CHECKING:` (that body never runs; its `else:` does)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _named_modules(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement asks for, relative ones resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        here = module.split(".") if is_package else module.split(".")[:-1]
        here = here[:len(here) - (node.level - 1)]
        base = ".".join(here + ([node.module] if node.module else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _deepest(name: str, modules: Mapping[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports(root: Path, packages: Iterable[str]) -> list[Import]:
    """Every edge between the modules of `packages` under `root` (imports of anything else,
    such as the standard library, are left out)."""
    modules = find_modules(root, packages)
    edges: list[Import] = []
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _run_imports(tree):
            names = _named_modules(module, is_package, node)
            if isinstance(node, ast.ImportFrom):
                # `from pkg import name`: the submodule pkg.name when there is one, else pkg.
                submodules = [n for n in names[:-1] if n in modules]
                names = submodules if len(submodules) == len(names) - 1 else submodules + names[-1:]
            targets = {_deepest(name, modules) for name in names}
            for target in sorted(t for t in targets if t and t != module):
                edges.append(Import(module, target, path.relative_to(root), node.lineno))
    return edges


def cycles(edges: Iterable[Import]) -> list[list[Import]]:
    """One import cycle for each group of modules that import each other (a strongly connected
    component), as the edges that close it, first module first; [] when the graph has none."""
    graph: dict[str, dict[str, Import]] = {}
    for edge in edges:
        graph.setdefault(edge.source, {}).setdefault(edge.target, edge)
        graph.setdefault(edge.target, {})
    found: list[list[Import]] = []
    for component in _components(graph):
        if len(component) > 1:
            found.append(_cycle_through(min(component), component, graph))
    return sorted(found, key=lambda cycle: cycle[0].source)


def _components(graph: Mapping[str, Mapping[str, Import]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit to hit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def _cycle_through(start: str, component: set[str], graph: Mapping[str, Mapping[str, Import]]) -> list[Import]:
    """The shortest path of imports from `start` back to itself inside `component`."""
    came_by: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for target, edge in sorted(graph[node].items()):
                if target not in component or target in came_by:
                    continue
                came_by[target] = edge
                if target == start:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, came_by[path[0].source])
                    return path
                following.append(target)
        frontier = following
    raise AssertionError(f"{start} is in no cycle")


def describe_cycle(cycle: list[Import]) -> str:
    """`a → b (a.py:3) → a (b.py:7)`: each step names the file and line of its import."""
    return cycle[0].source + "".join(f" → {edge.target} ({edge.where()})" for edge in cycle)


def rank_of(module: str, ranks: Mapping[str, int]) -> int | None:
    """The rank of the longest name in `ranks` that is `module` or a package holding it."""
    name = module
    while name:
        if name in ranks:
            return ranks[name]
        name = name.rpartition(".")[0]
    return None


def unranked(modules: Iterable[str], ranks: Mapping[str, int]) -> list[str]:
    """Modules no entry of `ranks` covers (a new package must be given its place)."""
    return sorted(m for m in modules if rank_of(m, ranks) is None)


def upward_imports(edges: Iterable[Import], ranks: Mapping[str, int]) -> list[str]:
    """One line for each import of a module of a higher rank than the importer's:
    `file:line: a (rank 1) imports b (rank 4)`."""
    found = []
    for edge in edges:
        source, target = rank_of(edge.source, ranks), rank_of(edge.target, ranks)
        if source is not None and target is not None and target > source:
            found.append(f"{edge.where()}: {edge.source} (rank {source}) imports "
                         f"{edge.target} (rank {target})")
    return found
