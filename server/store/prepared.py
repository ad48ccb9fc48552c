"""The hot statements of a window's call and a kiosk's ticket, run on the database driver's cursor.

A call-next is seven statements (the window, the queue, the claim, two saves, the waiting counts,
the event). SQLAlchemy's execution path costs about 40 us of interpreter time on each even with
the compiled form cached (execution context, events, result metadata): about as much as the
statement itself on SQLite, and in a busy hall the interpreter is what the windows wait for
(bench/README.md, issue 14's eleventh pass). `Prepared` compiles a Core statement once per dialect with SQLAlchemy and runs the SQL on the
unit of work's own DBAPI connection (same transaction), converting values with the column types'
own bind and result processors, so a value goes in and comes back exactly as through
`Connection.execute`. Driver errors are raised as SQLAlchemy's (IntegrityError, OperationalError).

Only for statements without expanding lists or post-compile parameters; everything else stays on
`Connection.execute`.
"""
from __future__ import annotations

from collections import namedtuple

from sqlalchemy import exc
from sqlalchemy.engine import Connection


class _Compiled:
    __slots__ = ("sql", "positional", "binds", "results", "index", "dialect", "record")

    def __init__(self, stmt, dialect, returning_id):
        if returning_id is not None and dialect.name != "sqlite":
            stmt = stmt.returning(returning_id)  # SQLite gives the row id on the cursor
        comp = stmt.compile(dialect=dialect)
        if getattr(comp, "literal_execute_params", None) or getattr(comp, "post_compile_params", None):
            raise ValueError("Prepared takes no expanding or post-compile parameters")
        self.dialect = dialect
        self.sql = comp.string
        self.positional = comp.positional
        by_name = {name: bp for bp, name in comp.bind_names.items()}
        names = list(comp.positiontup) if comp.positional else list(by_name)
        escaped = getattr(comp, "escaped_bind_names", None) or {}
        # (name the caller uses, name in the SQL, value given in the statement or None when the
        # caller must give it, bind processor)
        self.binds = []
        for name in names:
            bp = by_name[name]
            proc = bp.type.dialect_impl(dialect).bind_processor(dialect)
            self.binds.append((name, escaped.get(name, name),
                               None if bp.required else (bp.effective_value,), proc))
        self.results = []  # (column position, result processor) of the columns that convert
        self.index = {}
        if stmt.is_select:
            cols = list(stmt.selected_columns)
            for i, col in enumerate(cols):
                proc = col.type.dialect_impl(dialect).result_processor(dialect, None)
                if proc is not None:
                    self.results.append((i, proc))
            self.index = {col.key: i for i, col in enumerate(cols)}
        # rows with the columns' names as attributes (as SQLAlchemy's Row), for `named`
        self.record = namedtuple("Record", list(self.index), rename=True) if self.index else None

    def args(self, params: dict):
        if self.positional:
            out = []
            for name, _, given, proc in self.binds:
                v = params[name] if given is None or name in params else given[0]
                out.append(proc(v) if proc is not None else v)
            return tuple(out)
        out = {}
        for name, key, given, proc in self.binds:
            v = params[name] if given is None or name in params else given[0]
            out[key] = proc(v) if proc is not None else v
        return out

    def row(self, raw):
        if raw is None or not self.results:
            return raw
        out = list(raw)
        for i, proc in self.results:
            out[i] = proc(out[i])
        return tuple(out)

    def rows(self, raws: list) -> list:
        """Many rows: converted a column at a time (a queue read is a few hundred rows)."""
        if not raws or not self.results:
            return raws
        cols = list(zip(*raws))
        for i, proc in self.results:
            cols[i] = map(proc, cols[i])
        return list(zip(*cols))


class Prepared:
    """A Core statement compiled once per dialect, run on the DBAPI cursor of a Connection.
    `returning_id`: for an INSERT, the id column whose new value `insert` returns."""

    def __init__(self, stmt, returning_id=None):
        self.stmt = stmt
        self.returning_id = returning_id
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        c = self._compiled.get(dialect.name)
        if c is None:
            c = self._compiled[dialect.name] = _Compiled(self.stmt, dialect, self.returning_id)
        return c

    def index(self, conn: Connection) -> dict[str, int]:
        """Column key -> position in the rows this statement returns."""
        return self.compiled(conn).index

    def _run(self, conn: Connection, c: _Compiled, params: dict):
        args = c.args(params)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(c.sql, args)
        except c.dialect.loaded_dbapi.Error as e:
            cursor.close()
            raise exc.DBAPIError.instance(c.sql, args, e, c.dialect.loaded_dbapi.Error,
                                          dialect=c.dialect) from e
        return cursor

    def first(self, conn: Connection, params: dict):
        """The first row (a tuple of converted values) or None."""
        c = self.compiled(conn)
        cursor = self._run(conn, c, params)
        try:
            return c.row(cursor.fetchone())
        finally:
            cursor.close()

    def scalar(self, conn: Connection, params: dict):
        """The first column of the first row, or None."""
        row = self.first(conn, params)
        return None if row is None else row[0]

    def named(self, conn: Connection, params: dict) -> list:
        """Every row, its columns also as attributes (`row.status`): for a few rows."""
        c = self.compiled(conn)
        return [c.record._make(r) for r in self.all(conn, params)]

    def all(self, conn: Connection, params: dict) -> list[tuple]:
        c = self.compiled(conn)
        cursor = self._run(conn, c, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return c.rows(rows)

    def rowcount(self, conn: Connection, params: dict) -> int:
        """Run an UPDATE or DELETE: the number of rows it matched."""
        c = self.compiled(conn)
        cursor = self._run(conn, c, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def insert(self, conn: Connection, params: dict) -> int:
        """Run an INSERT built with `returning_id`: the new row's id."""
        c = self.compiled(conn)
        cursor = self._run(conn, c, params)
        try:
            if c.dialect.name == "sqlite":
                return cursor.lastrowid
            return cursor.fetchone()[0]
        finally:
            cursor.close()


def driver_sql(conn: Connection, sql: str) -> None:
    """A statement without parameters (BEGIN IMMEDIATE) straight on the driver's cursor."""
    dialect = conn.dialect
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    except dialect.loaded_dbapi.Error as e:
        raise exc.DBAPIError.instance(sql, (), e, dialect.loaded_dbapi.Error, dialect=dialect) from e
    finally:
        cursor.close()
