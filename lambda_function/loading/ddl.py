"""Identifiers and DDL derived from the table contract; nothing from a key or a file header reaches SQL unquoted."""

from __future__ import annotations

from ..contract.model import Column, Contract


def ident(name: str) -> str:
    """A PostgreSQL identifier, always quoted (names come from the contract, quoting is belt and braces)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"


def column_ddl(column: Column) -> str:
    return f"{ident(column.name)} {column.type.ddl}" + (" NOT NULL" if column.required else "")


def create_table_sql(schema: str, contract: Contract) -> str:
    parts = [column_ddl(c) for c in contract.columns]
    if contract.primary_key:
        parts.append(f"PRIMARY KEY ({', '.join(ident(c) for c in contract.primary_key)})")
    return f"CREATE TABLE IF NOT EXISTS {qualified(schema, contract.table)} ({', '.join(parts)})"


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
