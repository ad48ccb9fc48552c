"""Shared helpers of the hardening tests: table snapshots, a hall ready to call."""
from __future__ import annotations

from sqlalchemy import select

from server.store import tables as t


def snapshot(db) -> dict[str, list]:
    """Every row of every hallq table (sorted), to compare a database before and after."""
    out = {}
    with db.read() as conn:
        for table in t.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def staffed(api, windows=(1, 2, 3)) -> dict[int, str]:
    """Staff signed in at the given windows: {window: token name}."""
    out = {}
    for n in windows:
        name = f"hw{n}"
        api.add_staff(name, [n], name=f"窗口{n}")
        r = api.act(n, "sign-in", name)
        assert r.status == 200, r.body
        out[n] = name
    return out
