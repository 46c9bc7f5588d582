"""Identifiers and DDL derived from the table contract; nothing from a key or a file header reaches SQL unquoted."""

from __future__ import annotations

import hashlib

from ..contract.model import LINEAGE_COLUMN, Column, Contract

# Lineage (README, "Where did this row come from?"): each load sets the setting (SET LOCAL) to its ledger load_id,
# and the column's default reads it, so COPY's column list stays the file's header. Missing or empty (another
# session's INSERT, a session whose earlier transaction set it) reads as NULL rather than failing that INSERT.
LINEAGE_SETTING = "csv_ingest.load_id"
LINEAGE_DEFAULT = f"NULLIF(current_setting('{LINEAGE_SETTING}', true), '')::bigint"


def ident(name: str) -> str:
    """A PostgreSQL identifier, always quoted (names come from the contract, quoting is belt and braces)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"


def column_ddl(column: Column) -> str:
    return f"{ident(column.name)} {column.type.ddl}" + (" NOT NULL" if column.required else "")


def create_table_sql(schema: str, contract: Contract) -> str:
    parts = [column_ddl(c) for c in contract.columns]
    if contract.lineage:
        parts.append(f"{ident(LINEAGE_COLUMN)} bigint DEFAULT {LINEAGE_DEFAULT}")
    if contract.primary_key:
        parts.append(f"PRIMARY KEY ({', '.join(ident(c) for c in contract.primary_key)})")
    return f"CREATE TABLE IF NOT EXISTS {qualified(schema, contract.table)} ({', '.join(parts)})"


def create_table_statements(schema: str, contract: Contract) -> list[str]:
    """The table, and the lineage column's index when rows are deleted by their load."""
    statements = [create_table_sql(schema, contract)]
    if contract.deletes_by_load:
        statements.append(lineage_index_sql(schema, contract.table))
    return statements


def add_lineage_sql(target: str) -> str:
    """The column added without a default first, so rows already there keep NULL (PostgreSQL would otherwise
    store the setting's value at the time of the ALTER for every one of them), then the default for new rows."""
    column = ident(LINEAGE_COLUMN)
    return f"ALTER TABLE {target} ADD COLUMN {column} bigint, ALTER COLUMN {column} SET DEFAULT {LINEAGE_DEFAULT}"


def lineage_index_sql(schema: str, table: str) -> str:
    name = f"{table}_ingest_load_id"
    if len(name.encode()) > 63:  # PostgreSQL would cut it, and two long table names could then share one name
        name = f"{table.encode()[:40].decode(errors='ignore')}_{hashlib.sha256(table.encode()).hexdigest()[:8]}_load_id"
    return f"CREATE INDEX IF NOT EXISTS {ident(name)} ON {qualified(schema, table)} ({ident(LINEAGE_COLUMN)})"


_DELIMITER_LITERALS = {",": "','", ";": "';'", "|": "'|'", "\t": "E'\\t'"}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def copy_sql(target: str, columns: list[str], nullable: list[str], delimiter: str = ",", missing: str = "",
             encoding: str = "UTF8") -> str:
    """COPY of the file's own bytes, reading exactly what the validator read: the file's header as the column
    list, its delimiter, its missing-value marker (NULL) and its encoding. With the default marker (the
    empty field), FORCE_NULL makes a quoted empty field NULL too, as the validator reads it; with another
    marker a quoted marker is text, so FORCE_NULL is not used."""
    cols = ", ".join(ident(c) for c in columns)
    options = "FORMAT csv, HEADER false"
    if delimiter != ",":
        options += f", DELIMITER {_DELIMITER_LITERALS[delimiter]}"
    if missing:
        options += f", NULL {_literal(missing)}"
    elif nullable:
        options += ", FORCE_NULL (" + ", ".join(ident(c) for c in nullable) + ")"
    if encoding != "UTF8":
        options += f", ENCODING {_literal(encoding)}"
    return f"COPY {target} ({cols}) FROM STDIN ({options})"
