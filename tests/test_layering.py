"""The packages import one way: each imports only itself and those below it,
no module imports another of ours inside a function (a lazy import that
dodges a cycle), and no chain of imports comes back to where it started.

    minigrad < layers < nets < invert < invert.experiments < commands < tools

(commands: ``invert.run``, ``invert.fetch``, ``invert.convert``,
``invert.train_hoggle``, the modules a user runs with ``python -m``). The checker is tested on planted faults."""
import ast
import os

import pytest

from weights_helpers import ROOT

LAYERS = ["minigrad", "layers", "nets", "invert", "invert.experiments", "commands", "tools"]
COMMANDS = {"invert.run", "invert.fetch", "invert.convert", "invert.train_hoggle"}


def modules(root, packages):
    """{dotted module name: path} of every .py file under ``packages``."""
    found = {}
    for package in packages:
        for folder, _, files in os.walk(os.path.join(root, package)):
            for f in files:
                if f.endswith(".py"):
                    path = os.path.join(folder, f)
                    parts = os.path.relpath(path, root)[:-3].split(os.sep)
                    found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name, path, known):
    """[(imported module, line, inside a function)] of ours, in one module."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            lazy = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            targets = []
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[:len(package.split(".")) - child.level + 1]
                    base = ".".join(up + ([child.module] if child.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                           for a in child.names]
            for t in targets:
                while t and t not in known:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    out.append((t, child.lineno, in_function))
            visit(child, lazy)
    visit(tree, False)
    return out


def rank(name):
    if name in COMMANDS:
        return LAYERS.index("commands")
    for layer in sorted(LAYERS, key=len, reverse=True):
        if name == layer or name.startswith(layer + "."):
            return LAYERS.index(layer)
    raise ValueError(f"module {name} belongs to no layer")


def faults(root, packages):
    """Every upward import, lazy import and import cycle, as sentences."""
    known = modules(root, packages)
    graph, found = {}, []
    for name, path in sorted(known.items()):
        graph[name] = set()
        for target, line, lazy in imports(name, path, known):
            where = f"{os.path.relpath(path, root)}:{line}"
            if lazy:
                found.append(f"{where}: imports {target} inside a function")
            elif rank(target) > rank(name):
                found.append(f"{where}: {name} ({LAYERS[rank(name)]}) imports {target} "
                             f"({LAYERS[rank(target)]}), which is above it")
            else:
                graph[name].add(target)
    state = {}

    def walk(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                walk(nxt, stack + [nxt])
        state[node] = "done"
    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    return found


def test_the_project_imports_one_way():
    packages = ["minigrad", "layers", "nets", "invert", "tools"]
    assert len(modules(ROOT, packages)) > 60
    assert faults(ROOT, packages) == []


def test_the_checker_finds_planted_faults(tmp_path):
    def write(path, text):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    write("layers/__init__.py", "")
    write("layers/a.py", "from . import b\n")
    write("layers/b.py", "from .a import thing\n")           # a cycle
    write("minigrad/__init__.py", "from layers import a\n")  # upward
    write("nets/__init__.py", "def f():\n    from nets import cnn\n")
    write("nets/cnn.py", "import numpy\nimport layers.b\n")   # fine: downward, third party
    found = faults(tmp_path, ["minigrad", "layers", "nets"])
    assert len(found) == 3, found
    assert any("import cycle: layers.a -> layers.b -> layers.a" in f for f in found)
    assert any("minigrad (minigrad) imports layers.a (layers)" in f for f in found)
    assert any("nets/__init__.py:2: imports nets.cnn inside a function" in f for f in found)


@pytest.mark.parametrize("name, layer", [("invert.run", "commands"), ("invert.api", "invert"),
                                         ("invert.experiments.deep", "invert.experiments"),
                                         ("nets.convert.caffe", "nets")])
def test_ranks(name, layer):
    assert LAYERS[rank(name)] == layer
