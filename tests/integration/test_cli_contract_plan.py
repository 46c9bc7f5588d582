"""`harness contract plan|apply` on a stack (`harness up` in a temporary state dir, real PostgreSQL): the
issue's trial as a data engineer runs it before deploying a changed contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from harness import state
from harness.cli import app
from harness.stack import StackInfo

runner = CliRunner()
FLIGHTS = """file: flights.csv
table: flights
mode: append
columns:
  flight_id: {type: bigint}
  carrier:   {type: varchar(2)}
"""
CHANGED = (FLIGHTS.replace("mode: append", "mode: upsert\nprimary_key: [flight_id]")
           + "  delayed:   {type: boolean, required: false}\n")


def run(*args: str, given: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=given)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def contracts(root: Path, name: str, text: str) -> str:
    folder = root / name
    folder.mkdir()
    (folder / "flights.yaml").write_text(text)
    return str(folder)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, StackInfo, Path]]:
    root = tmp_path_factory.mktemp("plan")
    directory = root / ".harness"
    deployed = contracts(root, "deployed", FLIGHTS)
    code, output = run("up", "--state-dir", str(directory), "--contracts", deployed, "--json")
    assert code == 0, output
    data = root / "flights.csv"
    data.write_text("flight_id,carrier\n1,AA\n2,UA\n")
    code, output = run("replay", str(data), "--key", "flights.csv", "--state-dir", str(directory), "--json")
    assert code == 0, output
    yield directory, state.require(directory), root
    run("down", "--state-dir", str(directory))


def _columns(info: StackInfo) -> dict[str, str]:
    engine = sa.create_engine(info.database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT column_name, is_nullable || ' ' || data_type "
                                    "|| coalesce('(' || character_maximum_length || ')', '') "
                                    "FROM information_schema.columns "
                                    "WHERE table_schema = 'public' AND table_name = 'flights'")).all()
        key = conn.execute(sa.text("SELECT count(*) FROM information_schema.table_constraints WHERE "
                                   "table_name = 'flights' AND constraint_type = 'PRIMARY KEY'")).scalar_one()
    engine.dispose()
    return {**dict(rows), "(primary key)": str(key)}


def test_plan_shows_every_change_before_deployment_and_apply_runs_the_safe_and_rewrite_ones(stack) -> None:
    directory, info, root = stack
    deployed = str(root / "deployed")
    changed = contracts(root, "changed", CHANGED)

    assert run("contract", "plan", "--contracts", deployed, "--state-dir", str(directory))[0] == 0
    code, out = run("contract", "plan", "--contracts", changed, "--state-dir", str(directory))
    assert code == 1, out
    assert 'ALTER TABLE "public"."flights" ADD COLUMN "delayed" boolean' in out
    assert 'ALTER TABLE "public"."flights" ADD PRIMARY KEY ("flight_id")' in out
    assert "safe" in out and "rewrite" in out and "the next load FAILS as drift" in out
    assert info.database_url.split("@")[0].split(":")[-1] not in out  # no password

    code, out = run("contract", "plan", "--contracts", changed, "--database-url", info.pg_url, "--json")
    planned = json.loads(out)
    assert code == 1 and planned["pending"] is True
    (table,) = planned["tables"]
    assert [(d["kind"], d["column"]) for d in table["differences"]] == [("safe", "delayed"), ("rewrite", "flight_id")]

    code, out = run("contract", "apply", "--contracts", changed, "--state-dir", str(directory), given="n\n")
    assert code == 1 and "nothing applied" in out
    assert "delayed" not in _columns(info) and _columns(info)["(primary key)"] == "0"

    code, out = run("contract", "apply", "--contracts", changed, "--state-dir", str(directory), "--yes")
    assert code == 0, out
    assert out.count("applied ALTER TABLE") == 2
    assert _columns(info)["delayed"] == "YES boolean" and _columns(info)["(primary key)"] == "1"
    code, out = run("contract", "plan", "--contracts", changed, "--state-dir", str(directory))
    assert code == 0 and "matches its contract" in out and "nothing to change" in out


def test_apply_refuses_a_breaking_change_and_runs_the_others(stack) -> None:
    directory, info, root = stack
    narrowed = contracts(root, "narrowed", FLIGHTS.replace("bigint", "integer").replace("varchar(2)", "varchar(3)"))
    code, out = run("contract", "apply", "--contracts", narrowed, "--state-dir", str(directory), "--yes")

    assert code == 1
    assert 'refused (breaking) flight_id: a person decides and runs ALTER TABLE "public"."flights" ALTER COLUMN ' \
           '"flight_id" TYPE integer USING "flight_id"::integer' in out
    assert 'applied ALTER TABLE "public"."flights" ALTER COLUMN "carrier" TYPE varchar(3)' in out
    assert (_columns(info)["flight_id"], _columns(info)["carrier"]) == ("NO bigint", "NO character varying(3)")


def test_a_new_table_needs_nothing_and_a_missing_stack_is_a_usage_error(stack, tmp_path: Path) -> None:
    directory, _, root = stack
    other = contracts(root, "other", FLIGHTS.replace("flights", "arrivals"))
    code, out = run("contract", "plan", "--contracts", other, "--state-dir", str(directory))
    assert code == 0 and "no table yet: the first load creates it" in out
    assert run("contract", "plan", "--contracts", other, "--state-dir", str(tmp_path / "none"))[0] == 2


def test_apply_that_postgresql_refuses_changes_nothing_of_that_table(stack) -> None:
    directory, info, root = stack
    engine = sa.create_engine(info.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE twice (flight_id bigint NOT NULL, carrier varchar(2) NOT NULL)"))
        conn.execute(sa.text("INSERT INTO twice VALUES (6, 'AA'), (6, 'AA')"))
    keyed = contracts(root, "twice", CHANGED.replace("flights", "twice"))

    code, out = run("contract", "apply", "--contracts", keyed, "--state-dir", str(directory), "--yes")

    assert code == 1
    assert 'not applied to twice (nothing of it): could not create unique index "twice_pkey" (Key (flight_id)=(6) ' \
           'is duplicated.)' in out
    with engine.connect() as conn:  # the ADD COLUMN before it was rolled back with it
        assert conn.execute(sa.text("SELECT count(*) FROM information_schema.columns WHERE table_name = 'twice' "
                                    "AND column_name = 'delayed'")).scalar_one() == 0
    engine.dispose()
