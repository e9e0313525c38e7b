"""The house's shape: no import cycle among fovlabel's modules, counting the imports inside
functions (a cycle there is as much a knot as one at the top)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "fovlabel"


def _modules() -> dict:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, modules: dict) -> set:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import x` names a module, `from .m import f` a module's name
                child = f"{target}.{alias.name}"
                found.add(child if child in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def import_cycles() -> list:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_no_import_cycle():
    assert import_cycles() == []


def test_the_cycle_finder_finds_one(tmp_path, monkeypatch):
    """It can fail: two modules importing each other inside functions are a cycle."""
    package = tmp_path / "fovlabel"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from .b import g\n")
    (package / "b.py").write_text("def g():\n    from . import a\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", package)
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert import_cycles() == [["fovlabel.a", "fovlabel.b"]]


#: the house's size limits (issue 24): a module is one job, a function one readable sequence
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _is_kernel(node) -> bool:
    """A Numba kernel (decorated with njit): its loops stay whole, for speed."""
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if getattr(target, "id", getattr(target, "attr", None)) in ("njit", "jit"):
            return True
    return False


def oversized(package: Path) -> list:
    found = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text()
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            found.append(f"{path.relative_to(package.parent)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_kernel(node):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(package.parent)}:{node.lineno} {node.name}: {length} lines")
    return found


def test_no_module_over_500_lines_and_no_function_over_80_outside_the_kernels():
    assert oversized(PACKAGE) == []


def test_the_size_check_finds_a_long_function(tmp_path):
    package = tmp_path / "fovlabel"
    package.mkdir()
    body = "".join(f"    x{i} = {i}\n" for i in range(90))
    (package / "a.py").write_text("from numba import njit\n\n@njit\ndef kernel():\n" + body
                                  + "\ndef long():\n" + body)
    assert oversized(package) == ["fovlabel/a.py:96 long: 91 lines"]  # the kernel above it is not counted
