"""SQL the two databases say differently, written once."""
from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class hours_between(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """Hours from the first time to the second, in SQL (SQLite and PostgreSQL say it differently)."""
    type = Float()
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between)
def _hours_default(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


class unindexed(FunctionElement):  # noqa: N801 - an SQL expression, named like a function
    """The column itself, which SQLite's planner will not read through an index (`+column`).

    SQLite keeps no statistics unless ANALYZE runs, so it takes an equality on any index for the
    most selective: `status = 'scheduled'` (nearly every session) beat the index on the start
    that would read a page and stop. PostgreSQL knows better: there it is the plain column."""
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    (column,) = element.clauses
    return f"+{compiler.process(column, **kw)}"


@compiles(unindexed)
def _unindexed_default(element, compiler, **kw):
    (column,) = element.clauses
    return compiler.process(column, **kw)


class comma_list(FunctionElement):  # noqa: N801 - an SQL aggregate, named like one
    """The values of a column joined by commas, in one string (group_concat / string_agg)."""
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = String()


@compiles(comma_list, "sqlite")
def _comma_list_sqlite(element, compiler, **kw):
    (column,) = element.clauses
    return f"group_concat({compiler.process(column, **kw)}, ',')"


@compiles(comma_list)
def _comma_list_default(element, compiler, **kw):
    (column,) = element.clauses
    return f"string_agg({compiler.process(column, **kw)}, ',')"
