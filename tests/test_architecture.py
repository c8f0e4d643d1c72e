"""The shape of the house (../shared/ARCHITECTURE.md), held by the code itself:

- no module over 500 lines; no view function over 25 lines;
- floors: a module imports only from its own floor or the ones below (function-level imports
  count too), and no import cycles;
- views never commit, roll back or catch a DomainError: `unit_of_work` does all three;
- services and queries never import presentation code (forms, templating, blueprints, request).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "volunteer_hub"
MAX_MODULE_LINES = 500
MAX_VIEW_LINES = 25

# Lowest first. A module belongs to the floor of the longest prefix that names it.
FLOORS = [
    ("ground", ["volunteer_hub.clock", "volunteer_hub.errors", "volunteer_hub.urls", "volunteer_hub.config",
                "volunteer_hub.db", "volunteer_hub.actor", "volunteer_hub.csvfiles"]),
    ("models", ["volunteer_hub.models", "volunteer_hub.extensions"]),
    ("rules", ["volunteer_hub.pagination", "volunteer_hub.security", "volunteer_hub.audit",
               "volunteer_hub.signed_in_cache", "volunteer_hub.data_cache"]),
    ("reads and writes", ["volunteer_hub.queries", "volunteer_hub.services"]),
    ("presentation", ["volunteer_hub.forms", "volunteer_hub.templating", "volunteer_hub.unit_of_work",
                      "volunteer_hub.exports"]),
    ("web and commands", ["volunteer_hub.blueprints", "volunteer_hub.error_pages", "volunteer_hub.hooks",
                          "volunteer_hub.login", "volunteer_hub.jobs", "volunteer_hub.cli", "volunteer_hub.demo",
                          "volunteer_hub.deploy_checks"]),
    ("app", ["volunteer_hub"]),
]
PRESENTATION = ("volunteer_hub.forms", "volunteer_hub.templating", "volunteer_hub.blueprints",
                "volunteer_hub.unit_of_work", "volunteer_hub.exports")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _floor(module: str) -> int:
    best, floor = -1, None
    for index, (_name, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, floor = len(prefix), index
    assert floor is not None, f"{module} is on no floor: add it to FLOORS"
    return floor


def _imports(module: str) -> set[str]:
    """The project modules `module` imports (anywhere in it), resolved to modules that exist."""
    tree = ast.parse(MODULES[module].read_text())
    is_package = MODULES[module].name == "__init__.py"
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".") if is_package else module.split(".")[:-1]
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            names.update(submodules if submodules else {base})  # `from pkg import module` imports the module
    return {n for n in names if n in MODULES and n != module}


def test_no_module_is_over_500_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"split these modules by job: {long}"


def _views():
    for name, path in MODULES.items():
        if not name.startswith("volunteer_hub.blueprints."):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in
                    {"route", "get", "post"} for d in node.decorator_list):
                yield name, node


def test_no_view_function_is_over_25_lines():
    long = [f"{name}.{node.name}: {node.end_lineno - node.lineno + 1}" for name, node in _views()
            if node.end_lineno - node.lineno + 1 > MAX_VIEW_LINES]
    assert not long, "views load, authorise, validate, call and redirect; move the rest out:\n" + "\n".join(long)


def test_imports_go_down_the_floors_only():
    upward = []
    for module in MODULES:
        for imported in _imports(module):
            if _floor(imported) > _floor(module):
                upward.append(f"{module} ({FLOORS[_floor(module)][0]}) imports {imported} "
                              f"({FLOORS[_floor(imported)][0]})")
    assert not upward, "\n".join(sorted(upward))


def test_there_are_no_import_cycles():
    graph = {m: {i for i in _imports(m) if not m.startswith(i + ".")} for m in MODULES}  # a package's own parents
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def _calls(tree, attr: str) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == attr]


@pytest.mark.parametrize("attr", ["commit", "rollback"])
def test_only_the_unit_of_work_ends_a_transaction_in_a_request(attr):
    found = []
    for name, path in MODULES.items():
        if name.startswith(("volunteer_hub.blueprints", "volunteer_hub.services", "volunteer_hub.queries")):
            found += [f"{name}:{line}" for line in _calls(ast.parse(path.read_text()), attr)]
    assert not found, f"db.session.{attr}() outside unit_of_work: " + ", ".join(found)


def test_views_do_not_catch_domain_errors():
    found = []
    for name, path in MODULES.items():
        if name.startswith("volunteer_hub.blueprints"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ExceptHandler) and "DomainError" in ast.unparse(node.type or ast.Name("")):
                    found.append(f"{name}:{node.lineno}")
    assert not found, "unit_of_work puts a DomainError on the form or flashes it: " + ", ".join(found)


def test_services_and_queries_never_import_presentation_code():
    found = []
    for name in MODULES:
        if name.startswith(("volunteer_hub.services", "volunteer_hub.queries")):
            found += [f"{name} imports {i}" for i in _imports(name) if i.startswith(PRESENTATION)]
            source = MODULES[name].read_text()
            if "from flask import" in source and any(w in source for w in (" request", " flash", "session[")):
                tree = ast.parse(source)
                for node in ast.walk(tree):
                    if isinstance(node, ast.ImportFrom) and node.module == "flask":
                        bad = {a.name for a in node.names} & {"request", "flash", "session", "redirect"}
                        found += [f"{name} imports flask.{b}" for b in sorted(bad)]
    assert not found, "\n".join(found)
