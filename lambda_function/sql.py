"""Identifiers and DDL derived from the table spec; nothing from a key or a file header reaches SQL unquoted."""

from __future__ import annotations

from .tables import ColumnSpec, TableSpec


def ident(name: str) -> str:
    """A PostgreSQL identifier, always quoted (names come from the spec, quoting is belt and braces)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"


def column_ddl(column: ColumnSpec) -> str:
    return f"{ident(column.name)} {column.pg_type}" + (" NOT NULL" if column.required else "")


def create_table_sql(schema: str, spec: TableSpec) -> str:
    cols = ", ".join(column_ddl(c) for c in spec.columns)
    pk = ", ".join(ident(c) for c in spec.primary_key)
    return f"CREATE TABLE IF NOT EXISTS {qualified(schema, spec.table)} ({cols}, PRIMARY KEY ({pk}))"


# information_schema spelling of each spec type, to detect schema drift
_INFO_TYPES = {
    "bigint": "bigint", "text": "text", "char(2)": "character(2)", "date": "date", "boolean": "boolean",
    "uuid": "uuid", "double precision": "double precision", "timestamptz": "timestamp with time zone",
}


def expected_columns(spec: TableSpec) -> dict[str, str]:
    return {c.name: _INFO_TYPES[c.pg_type] for c in spec.columns}


EXISTING_COLUMNS_SQL = """
SELECT column_name,
       CASE WHEN data_type = 'character' THEN 'character(' || character_maximum_length || ')'
            ELSE data_type END
FROM information_schema.columns
WHERE table_schema = %s AND table_name = %s
ORDER BY ordinal_position
"""


def copy_sql(target: str, columns: list[str], nullable: list[str]) -> str:
    """COPY of the file's own bytes; FORCE_NULL makes a quoted empty field NULL too (as the validator reads it)."""
    cols = ", ".join(ident(c) for c in columns)
    options = "FORMAT csv, HEADER false"
    if nullable:
        options += ", FORCE_NULL (" + ", ".join(ident(c) for c in nullable) + ")"
    return f"COPY {target} ({cols}) FROM STDIN ({options})"
