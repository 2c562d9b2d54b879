"""The structure gate: no import cycle among our modules, no Python file over 400 lines.

    structure.py --config pyproject.toml FILE...

Modules are named the way mypy and the py_library `imports` name them: from
the deepest import root (pyproject.toml's `mypy_path`) that holds the file,
or the file's own directory. Every import counts, at module level, inside a
function or under `if TYPE_CHECKING:`: each still ties the two modules
together, and a cycle hidden that way is still a cycle. Each finding is a
line `PATH:LINE: RULE: what`, for run_linter.py's summary; it exits 1 if
there is any.
"""

from __future__ import annotations

import argparse
import ast
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_LINES = 400
"""A longer file holds more than one concept: split it by concept."""


@dataclass(frozen=True)
class Module:
    """A Python file under its import root, named as an import names it."""

    path: Path
    root: Path
    name: str

    @property
    def package(self) -> str:
        """The package a relative import starts from."""
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it stands."""

    line: int
    name: str
    names: tuple[str, ...]
    """For `from X import a, b`: a and b (each may be a module of package X)."""


def import_roots(config: Path) -> list[Path]:
    """The import roots of pyproject.toml's mypy_path, deepest first."""
    settings = tomllib.loads(config.read_text())
    paths = settings.get("tool", {}).get("mypy", {}).get("mypy_path", [])
    roots = [config.parent / str(path).replace("$MYPY_CONFIG_FILE_DIR/", "") for path in paths]
    return sorted(roots, key=lambda root: -len(root.parts))


def module_of(path: Path, roots: list[Path]) -> Module:
    """The file as a module of the deepest root holding it (else of its own directory)."""
    root = next((root for root in roots if path.is_relative_to(root)), path.parent)
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return Module(path, root, ".".join(parts))


def imports(tree: ast.Module) -> Iterator[Import]:
    """Every import statement of a module, wherever it stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (Import(node.lineno, alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            dots = "." * node.level
            yield Import(node.lineno, dots + (node.module or ""), tuple(alias.name for alias in node.names))


class ModuleGraph:
    """Which of the given files imports which."""

    def __init__(self, sources: dict[Path, str], roots: list[Path]) -> None:
        """Names every file (path -> its text) as a module and reads its imports."""
        self.modules = [module_of(path, roots) for path in sources]
        self._by_root: dict[Path, dict[str, Module]] = {}
        for module in self.modules:
            self._by_root.setdefault(module.root, {})[module.name] = module
        self.edges: dict[Path, dict[Path, int]] = {}
        for module in self.modules:
            tree = ast.parse(sources[module.path], str(module.path))
            targets = self.edges.setdefault(module.path, {})
            for statement in imports(tree):
                for target in self._resolve(module, statement):
                    if target.path != module.path:
                        targets.setdefault(target.path, statement.line)

    def _find(self, name: str, near: Module) -> Module | None:
        """The module `name` in `near`'s root, else in the first root that has it."""
        for modules in (self._by_root[near.root], *self._by_root.values()):
            if name in modules:
                return modules[name]
        return None

    def _resolve(self, module: Module, statement: Import) -> Iterator[Module]:
        """The modules of ours an import loads: `from X import y` loads X.y if that is a module, else X."""
        name = statement.name
        if name.startswith("."):
            level = len(name) - len(name.lstrip("."))
            base = module.package.split(".") if module.package else []
            base = base[: len(base) - (level - 1)]
            name = ".".join([*base, name.lstrip(".")] if name.lstrip(".") else base)
        for alias in statement.names:
            if found := self._find(f"{name}.{alias}" if name else alias, module):
                yield found
                continue
            if found := self._find(name, module):
                yield found
        if not statement.names:
            parts = name.split(".")
            for length in range(len(parts), 0, -1):
                if found := self._find(".".join(parts[:length]), module):
                    yield found
                    break

    def cycles(self) -> list[list[Path]]:
        """One cycle through each group of modules that import each other (Tarjan's strongly connected components)."""
        index: dict[Path, int] = {}
        low: dict[Path, int] = {}
        stack: list[Path] = []
        groups: list[list[Path]] = []

        def visit(start: Path) -> None:
            work = [(start, iter(sorted(self.edges.get(start, {}))))]
            index[start] = low[start] = len(index)
            stack.append(start)
            while work:
                node, successors = work[-1]
                for successor in successors:
                    if successor not in index:
                        index[successor] = low[successor] = len(index)
                        stack.append(successor)
                        work.append((successor, iter(sorted(self.edges.get(successor, {})))))
                        break
                    if successor in stack:
                        low[node] = min(low[node], index[successor])
                else:
                    work.pop()
                    if work:
                        low[work[-1][0]] = min(low[work[-1][0]], low[node])
                    if low[node] == index[node]:
                        group = []
                        while (member := stack.pop()) != node:
                            group.append(member)
                        group.append(node)
                        if len(group) > 1:
                            groups.append(sorted(group))

        for path in sorted(self.edges):
            if path not in index:
                visit(path)
        return [self._cycle_in(group) for group in sorted(groups)]

    def _cycle_in(self, group: list[Path]) -> list[Path]:
        """The shortest path from the group's first module back to itself."""
        members, start = set(group), group[0]
        paths = {start: [start]}
        queue = [start]
        while queue:
            node = queue.pop(0)
            for successor in sorted(self.edges.get(node, {})):
                if successor == start:
                    return [*paths[node], start]
                if successor in members and successor not in paths:
                    paths[successor] = [*paths[node], successor]
                    queue.append(successor)
        return [*group, start]  # not reached: a strongly connected group has a cycle through each member


def findings(files: list[Path], roots: list[Path], max_lines: int = MAX_LINES) -> list[str]:
    """The gate's findings, one line each."""
    sources = {path: path.read_text() for path in files}
    found = []
    for path, text in sources.items():
        lines = len(text.splitlines())
        if lines > max_lines:
            found.append(f"{path}:{max_lines + 1}: file-too-long: {lines} lines, {max_lines} at most")
    graph = ModuleGraph(sources, roots)
    for cycle in graph.cycles():
        chain = " -> ".join(str(path) for path in cycle)
        found.append(f"{cycle[0]}:{graph.edges[cycle[0]][cycle[1]]}: import-cycle: {chain}")
    return found


def main(argv: list[str]) -> int:
    """Prints the findings; 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="pyproject.toml (its mypy_path: the import roots)")
    parser.add_argument("--max-lines", type=int, default=MAX_LINES)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    found = findings([path for path in args.files if path.suffix == ".py"], import_roots(args.config), args.max_lines)
    print("\n".join(found) if found else f"structure: {len(args.files)} files, no import cycle, none too long")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
