"""The arrows of the layout (docs/contributing.md): the device programs talk to the server over
HTTP only, so nothing in client/, caller/, display/ or kiosk/ imports server/, and client/ imports
nothing of the project at all (every device program may use it)."""
from __future__ import annotations

import ast

from tests.support import ROOT

PROJECT = {"server", "client", "caller", "display", "kiosk", "hardware", "rules", "tests"}


def imports(folder: str) -> dict[str, set[str]]:
    """module file -> top-level names it imports (relative imports resolved to the folder)."""
    out = {}
    for path in (ROOT / folder).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names.add(folder if node.level else (node.module or "").split(".")[0])
        out[str(path.relative_to(ROOT))] = names
    return out


def test_device_programs_never_import_the_server():
    found = {f: n & {"server"} for d in ("client", "caller", "display", "kiosk") for f, n in imports(d).items()}
    assert {f: n for f, n in found.items() if n} == {}
    assert len(found) >= 15  # the folders were really read


def test_the_client_package_imports_nothing_of_the_project():
    found = imports("client")
    assert set(found) >= {"client/api.py", "client/events.py", "client/heartbeat.py"}
    assert {f: n & (PROJECT - {"client"}) for f, n in found.items() if n & (PROJECT - {"client"})} == {}


def test_the_bridges_use_the_one_client():
    for f in ("display/announcer.py", "display/led.py", "caller/keypads.py"):
        names = imports("display" if f.startswith("display") else "caller")[f]
        assert "client" in names and "requests" not in names, f
