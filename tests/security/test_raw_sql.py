"""No user input in a raw SQL string: every raw SQL call in the project's code (cursor.execute
and executemany, COPY, Manager.raw, QuerySet.extra, RawSQL) either takes its SQL as a plain
string literal, values passed separately as parameters, or is one of the calls listed in
ALLOWED, each with the reason its SQL text is safe to build."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Tests build their own throwaway SQL; migrations are generated; the rest is the service's code.
SKIPPED_PARTS = {".venv", "var", "migrations", "tests", "node_modules", "__pycache__"}
SQL_METHODS = {"execute", "executemany", "raw", "extra"}
SQL_CALLABLES = {"RawSQL"}

# (file, function, the SQL argument's source) -> why it is safe.
ALLOWED = {
    (
        "imports/roster.py",
        "_fetch",
        "sql",
    ): "the SQL and params Django compiled from a values_list queryset (sql_with_params)",
    (
        "core/db/compiled.py",
        "run",
        "compiled.sql",
    ): "the SQL Django compiled (as_sql) from a queryset the code builds with marker values, "
    "kept; every value, the markers' replacements included, is passed as a parameter",
    (
        "core/db/compiled.py",
        "execute",
        "query",
    ): "the preparing cursor passes its caller's SQL and parameters on unchanged (the compiled "
    "query above), asking psycopg to prepare it",
    (
        "core/db/compiled.py",
        "execute",
        "sql",
    ): "the prepared query's log wrapper passes its caller's SQL and parameters on unchanged",
    (
        "imports/services.py",
        "insert",
        "sql",
    ): "INSERT built from quote_name'd _meta table and column names and %s placeholders; "
    "values are executemany parameters",
    (
        "core/db/bulk.py",
        "copying",
        "f\"COPY {table} ({', '.join(columns)}) FROM STDIN\"",
    ): "callers pass _meta table and column names through quote_name; rows go through the "
    "COPY data stream, never into the SQL",
    (
        "imports/roster.py",
        "load_snapshot",
        "_digest_sql()",
    ): "a SELECT over the staff, building and position tables built from their _meta table, "
    "key and column names through quote_name; it takes no values",
    (
        "imports/services.py",
        "_lock_table",
        "f'LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE'",
    ): "table is the model's _meta.db_table through connection.ops.quote_name",
    (
        "imports/services.py",
        "_update_rows",
        "f'UPDATE {table} SET {assignments} WHERE {primary_key} = %s'",
    ): "table, columns and key are _meta names through quote_name; every value is a %s parameter",
    (
        "demo/synthetic.py",
        "_bulk_load_cache",
        "f'PRAGMA cache_size = {SQLITE_CACHE_KIB}'",
    ): "a module constant (an int)",
    (
        "demo/synthetic.py",
        "_bulk_load_cache",
        "f'PRAGMA cache_size = {int(before)}'",
    ): "SQLite's own earlier value, forced to an int",
    (
        "demo/synthetic.py",
        "_foreign_keys_checked_once",
        "f'ALTER TABLE {quote(table)} {drops}'",
    ): "table from _meta and constraint names from pg_constraint, all through quote_name",
    (
        "demo/synthetic.py",
        "_foreign_keys_checked_once",
        "f'ALTER TABLE {quote(table)} {adds}'",
    ): "quoted _meta table and constraint names; definitions are PostgreSQL's own "
    "pg_get_constraintdef() text for keys that already existed",
    (
        "demo/synthetic.py",
        "_check_pending_keys",
        "f'SET CONSTRAINTS {names} IMMEDIATE'",
    ): "constraint names from pg_constraint through quote_name",
    (
        "demo/synthetic.py",
        "_check_pending_keys",
        "f'SET CONSTRAINTS {names} DEFERRED'",
    ): "constraint names from pg_constraint through quote_name",
    (
        "demo/synthetic.py",
        "_insert_rows",
        "sql",
    ): "INSERT built from quote_name'd _meta table and column names and %s placeholders; "
    "values are executemany parameters",
    (
        "learning/changes.py",
        "generation",
        "_generation_sql(connection.ops.quote_name)",
    ): "SELECT MIN/MAX/COUNT over DataChange's _meta table and key column, through quote_name",
    (
        "learning/changes.py",
        "generation_subquery",
        "f'({_generation_sql(connection.ops.quote_name)})'",
    ): "the same SELECT as generation(), in parentheses; it takes no parameters",
    (
        "plan/progress.py",
        "_rows",
        "sql",
    ): "the SQL Django's compiler wrote for a values_list() query, its values passed apart "
    "(sql_with_params): read without Django's per-value converters",
    (
        "backups/services.py",
        "_reset_sequences",
        "statement",
    ): "Django's own sequence_reset_sql for the restored models (names from _meta, quoted by "
    "the backend)",
    (
        "bench/core.py",
        "_execute",
        "sql",
    ): "psycopg sql.SQL composed with sql.Identifier (CREATE/DROP DATABASE of the benchmark's "
    "own scratch databases)",
    (
        "bench/bench_imports.py",
        "_floor_table",
        "f'CREATE TABLE {FLOOR_TABLE} (LIKE \"{table}\" INCLUDING ALL)'",
    ): "the benchmark's own table name (a constant) and the staff table's name from _meta",
    (
        "bench/bench_imports.py",
        "_floor_table",
        "sql",
    ): "SQLite's own CREATE statements for the staff table and its indexes (sqlite_master), "
    "renamed to the benchmark's table",
    (
        "bench/bench_imports.py",
        "floor_once",
        "f'COPY {FLOOR_TABLE} ({names}) FROM STDIN'",
    ): "the benchmark's own table name and the staff table's column names from _meta, quoted",
    (
        "bench/bench_imports.py",
        "floor_once",
        "f'INSERT INTO {FLOOR_TABLE} ({names}) VALUES ({marks})'",
    ): "the benchmark's own table name, column names from _meta (quoted) and %s placeholders; "
    "the values go as parameters",
}


def project_files() -> list[Path]:
    return sorted(
        path for path in ROOT.rglob("*.py") if not SKIPPED_PARTS & set(path.relative_to(ROOT).parts)
    )


def is_sql_call(call: ast.Call) -> bool:
    function = call.func
    if isinstance(function, ast.Name):
        return function.id in SQL_CALLABLES
    if not isinstance(function, ast.Attribute):
        return False
    if function.attr in SQL_CALLABLES | {"extra"}:
        return True
    if function.attr in SQL_METHODS:
        return bool(call.args or call.keywords)
    # psycopg's cursor.copy("COPY ..."), not dict.copy() or shutil.copy(a, b).
    receiver = ast.unparse(function.value)
    return function.attr == "copy" and receiver.split(".")[-1] == "cursor" and bool(call.args)


def sql_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg in {"sql", "raw_query", "query"}:
            return keyword.value
    return None


def raw_sql_calls() -> list[tuple[str, str, str, int]]:
    """(file, function, SQL argument source, line) of every raw SQL call whose SQL is not a
    plain string literal (extra() always counts: it takes SQL in several arguments)."""
    found = []
    for path in project_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        relative = path.relative_to(ROOT).as_posix()
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Call) or not is_sql_call(node):
                    continue
                sql = sql_argument(node)
                is_literal = isinstance(sql, ast.Constant) and isinstance(sql.value, str)
                if is_literal and ast.unparse(node.func).rsplit(".", 1)[-1] != "extra":
                    continue
                source = ast.unparse(sql) if sql is not None else ast.unparse(node)
                found.append((relative, function.name, source, node.lineno))
    # A call inside a nested function is seen from both functions: keep the innermost.
    innermost = {}
    for relative, name, source, line in found:
        innermost[(relative, line, source)] = name
    return sorted({(rel, name, src, line) for (rel, line, src), name in innermost.items()})


def test_the_scan_finds_the_known_raw_sql():
    """The scan reads the project's code: the roster import's bulk writes are among what it
    finds, and the files it reads include the apps and the benchmarks."""
    files = {path.relative_to(ROOT).as_posix() for path in project_files()}
    found = {(relative, name) for relative, name, _, _ in raw_sql_calls()}

    assert {"imports/services.py", "demo/synthetic.py", "bench/core.py"} <= files
    assert not any("/migrations/" in name or name.startswith("tests/") for name in files)
    assert ("imports/services.py", "_update_rows") in found


def test_the_scan_flags_sql_built_from_values():
    tree = ast.parse(
        "def f(cursor, name, Model):\n"
        "    cursor.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n"
        "    cursor.execute('SELECT * FROM t WHERE name = %s' % name)\n"
        "    cursor.execute('SELECT * FROM t WHERE name = %s', [name])\n"
        "    Model.objects.raw('SELECT * FROM t WHERE name = ' + name)\n"
        "    Model.objects.extra(where=['1 = 1'])\n"
        "    {}.copy()\n"
    )
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and is_sql_call(node)]
    literal = [
        call
        for call in calls
        if isinstance(sql_argument(call), ast.Constant)
        and ast.unparse(call.func).rsplit(".", 1)[-1] != "extra"
    ]

    assert len(calls) == 5
    assert len(literal) == 1  # only the parameterised query passes by itself


def test_every_raw_sql_string_built_in_code_is_listed_with_its_reason():
    unexplained = [
        f"{relative}:{line} in {name}(): {source}"
        for relative, name, source, line in raw_sql_calls()
        if (relative, name, source) not in ALLOWED
    ]

    assert unexplained == [], (
        "Raw SQL built from something other than a string literal. Pass values as parameters; "
        "if only quoted identifiers from model _meta go into the text, list the call in "
        "ALLOWED with why:\n" + "\n".join(unexplained)
    )


def test_every_listed_call_still_exists():
    present = {(relative, name, source) for relative, name, source, _ in raw_sql_calls()}

    assert set(ALLOWED) - present == set()
