"""Who may import what (docs/contributing.md), read from the source: the shared rules, the drivers
and the domain. (Device programs never importing server/: tests/system/test_layering.py.)"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"server", "caller", "display", "kiosk", "hardware", "client", "rules"}


def imports(package: str) -> dict[str, set[str]]:
    """file -> the modules it imports, dotted, relative imports resolved (server.store.db...)."""
    out = {}
    for path in (ROOT / package).rglob("*.py"):
        here = list(path.relative_to(ROOT).parent.parts)
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = here[:len(here) - node.level + 1] if node.level else []
                names.add(".".join(base + ([node.module] if node.module else [])))
        out[str(path.relative_to(ROOT))] = names
    return out


def top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def offenders(package: str, allowed: set[str]) -> dict[str, set[str]]:
    return {f: bad for f, names in imports(package).items() if (bad := (top(names) & PROJECT) - allowed)}


def test_the_shared_rules_import_nothing_of_the_project_and_no_third_party_package():
    import sys
    assert offenders("rules", {"rules"}) == {}
    used = top(set().union(*imports("rules").values())) - {"rules", "__future__"}
    assert used <= sys.stdlib_module_names, used


def test_drivers_import_only_the_shared_rules():
    assert offenders("hardware", {"hardware", "rules"}) == {}
    assert "rules" in imports("hardware")["hardware/idcard.py"]  # the folder was really read


def test_the_domain_imports_no_framework_and_nothing_outside_it_but_the_rules():
    domain = {f: names for f, names in imports("server").items() if f.startswith("server/domain/")}
    frameworks = {"flask", "sqlalchemy", "waitress", "alembic", "psycopg", "kivy", "requests"}
    for f, names in domain.items():
        assert not top(names) & frameworks, f
        outside = {n for n in names if n.split(".")[0] in PROJECT
                   and not n.startswith("server.domain") and n.split(".")[0] != "rules"}
        assert outside == set(), f
