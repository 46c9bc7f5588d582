"""What a folder of contracts would change in a database (`harness contract plan`), and applying it (`apply`).

The differences and their classes are the handler's own (lambda_function/loading/schema_diff.py), read from
the catalogue the way a load reads it, so the plan says exactly what the next load would do: apply the safe
ones itself (`evolve: safe`) or FAIL as drift. `apply` runs the safe and rewrite statements, each table in
one transaction under the table lock the loads take (so it waits for running loads instead of making their
readers queue behind its ALTER), and refuses breaking ones: those need a person's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from lambda_function.contract import Contract, Whitelist
from lambda_function.loading.evolution import read_table
from lambda_function.loading.locks import table_lock_key
from lambda_function.loading.schema_diff import Difference, Kind, blocking, compare


class PlanError(RuntimeError):
    """The database cannot be reached or read; the message says which and why (never the password)."""


@dataclass(frozen=True)
class TablePlan:
    """One table against its contract."""

    contract: Contract
    exists: bool
    differences: tuple[Difference, ...]

    @property
    def blocked(self) -> list[Difference]:
        """What makes the next load FAIL as drift."""
        return blocking(list(self.differences), self.contract.evolve) if self.exists else []

    @property
    def pending(self) -> bool:
        """Does the table need a statement, or would the next load FAIL? (A missing table needs neither.)"""
        return self.exists and (any(d.statement for d in self.differences) or bool(self.blocked))

    @property
    def applicable(self) -> list[str]:
        """What `apply` runs: the safe and rewrite statements."""
        if not self.exists:
            return []
        return [d.statement for d in self.differences if d.kind is not Kind.BREAKING and d.statement]

    @property
    def refused(self) -> list[Difference]:
        return [d for d in self.differences if d.kind is Kind.BREAKING] if self.exists else []

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.contract.name, "table": self.contract.table, "exists": self.exists,
                "evolve": self.contract.evolve, "pending": self.pending,
                "differences": [{"kind": str(d.kind), "column": d.column, "table": d.table, "contract": d.contract,
                                 "statement": d.statement, "advice": d.advice} for d in self.differences]}


def libpq_conninfo(url: str) -> str:
    """A SQLAlchemy `postgresql+psycopg://` or a libpq `postgresql://` URL, as libpq takes it."""
    try:
        parsed = make_url(url)
    except Exception:
        raise PlanError("--database-url: not a database URL (postgresql://… or postgresql+psycopg://…)") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise PlanError(f"--database-url: a PostgreSQL URL is needed, got {parsed.get_backend_name()!r}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def shown(url: str) -> str:
    """The URL without its password, for output."""
    return make_url(url).render_as_string(hide_password=True)


def connect(url: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(libpq_conninfo(url), connect_timeout=10, application_name="harness-contract-plan",
                               autocommit=True)
    except psycopg.Error as exc:
        raise PlanError(f"cannot connect to {shown(url)}: {str(exc).splitlines()[0]}") from None


def plan_table(cur: psycopg.Cursor[Any], schema: str, contract: Contract) -> TablePlan:
    table = read_table(cur, schema, contract)
    return TablePlan(contract, table is not None, tuple(compare(table, contract, schema)))


def plan(conn: psycopg.Connection[Any], schema: str, whitelist: Whitelist) -> list[TablePlan]:
    """One plan per table (contracts that share a table share its columns: the first one speaks for it)."""
    seen: set[str] = set()
    plans = []
    with conn.cursor() as cur:
        for contract in whitelist:
            if contract.table not in seen:
                seen.add(contract.table)
                plans.append(plan_table(cur, schema, contract))
    return plans


def apply_plan(conn: psycopg.Connection[Any], schema: str, planned: TablePlan) -> list[str]:
    """Run the table's safe and rewrite statements in one transaction, as planned; what ran.

    Under the loads' table lock, exclusive: it waits for running loads, and loads wait for it. If the table
    changed since the plan was shown, nothing runs (PlanError): plan again.
    """
    statements = planned.applicable
    if not statements:
        return []
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (table_lock_key(schema, planned.contract.table),))
        if plan_table(cur, schema, planned.contract).applicable != statements:
            raise PlanError(f"table {planned.contract.table} changed since it was planned; nothing applied to it, "
                            "plan again")
        for statement in statements:
            cur.execute(statement)  # the transaction rolls back on the first that fails
    return statements
