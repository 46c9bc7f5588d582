"""A contract edited after its table holds data (README, "Schema changes"), against the real server.

Safe changes are applied by the next load inside its transaction (and listed in its message), everything
else is one FAILED message naming the statement; nothing is ever raised or retried for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.client import IngestClient

FLIGHTS = """file: flights.csv
table: flights
mode: {mode}
{extra}columns:
  flight_id: {{type: bigint}}
  carrier:   {{type: varchar(2)}}
  dep_delay: {{type: "numeric(6,1)", required: false}}
"""
KEYED = "primary_key: [flight_id]\n"
DELAYED = "  delayed:   {type: boolean, required: false}\n"
WITH_DELAYED = "flight_id,carrier,dep_delay,delayed"


def base(mode: str = "append", extra: str = "", columns: str = "") -> str:
    return FLIGHTS.format(mode=mode, extra=extra) + columns


class Flights:
    """The flights contract, edited as a test goes: each version in a folder of its own, as a deployment would
    bring it (the function reads its contracts once per container)."""

    def __init__(self, client: IngestClient, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.client, self.folder, self.monkeypatch = client, folder, monkeypatch

    def contract(self, mode: str = "append", extra: str = "", columns: str = "") -> None:
        self.write(base(mode, extra, columns))

    def write(self, text: str) -> None:
        folder = self.folder / f"v{len(list(self.folder.iterdir())) + 1}"
        folder.mkdir()
        (folder / "flights.yaml").write_text(text)
        self.monkeypatch.setenv("TABLE_CONTRACTS", str(folder))

    def load(self, key: str, *rows: str, header: str = "flight_id,carrier,dep_delay") -> dict:
        return self.client.ingest(key, (header + "\n" + "".join(r + "\n" for r in rows)).encode())

    def alter(self, what: str) -> str:
        return f'ALTER TABLE "{self.client.schema}"."flights" {what}'

    def columns(self) -> dict[str, tuple[str, str]]:
        rows = self.client.query("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                                 "WHERE table_schema = current_schema() AND table_name = 'flights'")
        return {name: (kind, nullable) for name, kind, nullable in rows}


@pytest.fixture
def flights(client: IngestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flights:
    return Flights(client, tmp_path, monkeypatch)


@pytest.mark.parametrize("mode", ["append", "replace", "upsert"])
def test_an_optional_column_is_added_by_the_next_load_and_removing_it_again_is_harmless(flights: Flights, mode):
    extra = KEYED if mode != "replace" else ""
    flights.contract(mode, extra)
    first = flights.load("day1/flights.csv", "1,AA,", "2,UA,3.5")
    assert first["status"] == "SUCCEEDED" and first["schema_changes"][0].startswith("CREATE TABLE")

    flights.contract(mode, extra, DELAYED)
    updated = 2 if mode == "upsert" else 5  # upsert updates flight 2; an append adds flight 5
    added = flights.load("day2/flights.csv", f"{updated},UA,4.0,true", "3,DL,,",
                         header=WITH_DELAYED)
    assert added["status"] == "SUCCEEDED", added["errors"]
    assert added["schema_changes"] == [flights.alter('ADD COLUMN "delayed" boolean')]
    assert flights.columns()["delayed"] == ("boolean", "YES")
    # The old layout under the new contract: the optional column absent (upsert keeps flight 2's stored value).
    old_layout = flights.load("day2b/flights.csv", f"{2 if mode == 'upsert' else 6},AA,1.5")
    assert (old_layout["status"], old_layout["schema_changes"]) == ("SUCCEEDED", []), old_layout["errors"]

    flights.contract(mode, extra)  # removed again: the nullable column stays, new rows get NULL there
    again = flights.load("day3/flights.csv", "4,B6,1.0")
    assert (again["status"], again["schema_changes"]) == ("SUCCEEDED", [])
    expected = {"append": [(1, None), (2, None), (3, None), (4, None), (5, True), (6, None)],
                "replace": [(4, None)],
                "upsert": [(1, None), (2, True), (3, None), (4, None)]}[mode]
    assert flights.client.query("SELECT flight_id, delayed FROM flights ORDER BY 1, 2") == expected
    assert [m.body["schema_changes"] for m in flights.client.messages()][1:] == [added["schema_changes"], [], []]


def test_evolve_none_fails_every_difference_as_drift_and_never_alters(flights: Flights):
    flights.contract()
    flights.load("day1/flights.csv", "1,AA,")
    flights.contract(extra="evolve: none\n", columns=DELAYED)

    outcome = flights.load("day2/flights.csv", "2,UA,,true", header=WITH_DELAYED)

    assert outcome["status"] == "FAILED" and outcome["schema_changes"] == []
    assert outcome["errors"] == [{"row": None, "column": "delayed", "value": None, "rule": (
        "schema drift (safe, but evolve: none): the contract says boolean (optional); run "
        + flights.alter('ADD COLUMN "delayed" boolean'))}]
    assert "delayed" not in flights.columns() and flights.client.count("flights") == 1


def test_switching_a_keyless_append_table_to_upsert_is_one_failed_message_naming_add_primary_key(flights: Flights):
    flights.contract()
    flights.load("day1/flights.csv", "1,AA,", "2,UA,")
    flights.contract("upsert", KEYED)
    put = flights.client.upload("day2/flights.csv", b"flight_id,carrier,dep_delay\n2,DL,\n")
    flights.client.real_events()
    event = flights.client.s3_event("day2/flights.csv", put["ETag"])

    failed = flights.client.invoke(event)["outcomes"][0]  # returns: never raised, never retried
    redelivered = flights.client.invoke(event)["outcomes"][0]

    assert failed["status"] == "FAILED"
    (error,) = failed["errors"]
    assert (error["column"], error["value"]) == ("flight_id", "no primary key")
    assert flights.alter('ADD PRIMARY KEY ("flight_id")') in error["rule"]
    assert redelivered["reason"] == "already FAILED under this contract (schema drift; the table is unchanged)"
    assert [m.body["status"] for m in flights.client.messages()] == ["SUCCEEDED", "FAILED", "SKIPPED"]

    flights.client.execute('ALTER TABLE flights ADD PRIMARY KEY ("flight_id")')  # what the message said to run
    fixed = flights.client.invoke(event)["outcomes"][0]  # the table changed: judged again
    assert (fixed["status"], fixed["rows_loaded"]) == ("SUCCEEDED", 1)
    assert flights.client.query("SELECT flight_id, carrier FROM flights ORDER BY 1") == [(1, "AA"), (2, "DL")]


def test_a_column_made_optional_drops_not_null_and_its_empty_fields_load(flights: Flights):
    flights.contract()
    flights.load("day1/flights.csv", "1,AA,")
    flights.write(base().replace("{type: varchar(2)}", "{type: varchar(2), required: false}"))

    outcome = flights.load("day2/flights.csv", "2,,")

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]
    assert outcome["schema_changes"] == [flights.alter('ALTER COLUMN "carrier" DROP NOT NULL')]
    assert flights.client.query("SELECT carrier FROM flights WHERE flight_id = 2") == [(None,)]


def test_wider_varchar_and_numeric_are_applied(flights: Flights):
    flights.contract()
    flights.load("day1/flights.csv", "1,AA,12345.6")
    flights.write(base().replace("varchar(2)", "varchar(3)").replace("numeric(6,1)", "numeric(9,1)"))

    outcome = flights.load("day2/flights.csv", "2,AAL,12345678.9")

    assert outcome["status"] == "SUCCEEDED", outcome["errors"]
    assert outcome["schema_changes"] == [flights.alter('ALTER COLUMN "carrier" TYPE varchar(3)'),
                                         flights.alter('ALTER COLUMN "dep_delay" TYPE numeric(9,1)')]
    assert flights.client.count("flights") == 2


@pytest.mark.parametrize("edit,column,rule_part", [
    (lambda t: t.replace("{type: bigint}", "{type: integer}"), "flight_id", "schema drift (breaking)"),
    (lambda t: t.replace("numeric(6,1)", "numeric(6,2)"), "dep_delay", "schema drift (breaking)"),
    (lambda t: t.replace("varchar(2)", "text").replace("{type: bigint}", "{type: integer}"), "carrier",
     "schema drift (safe): the contract says text (wider)"),
    (lambda t: t + "  added: {type: text}\n", "added", "a required column cannot be added to a table that has rows"),
])
def test_rewrite_and_breaking_changes_fail_listing_every_difference_and_change_nothing(flights: Flights, edit,
                                                                                      column, rule_part):
    flights.contract()
    flights.load("day1/flights.csv", "1,AA,")
    before = flights.client.checksum("flights"), flights.columns()
    flights.write(edit(base()))
    header = "flight_id,carrier,dep_delay" + (",added" if "added" in column else "")

    outcome = flights.load("day2/flights.csv", "2,UA," + ("," if "added" in column else ""), header=header)

    assert outcome["status"] == "FAILED" and outcome["schema_changes"] == []
    assert any(e["column"] == column and rule_part in e["rule"] for e in outcome["errors"]), outcome["errors"]
    assert all(e["row"] is None and e["rule"].startswith("schema drift (") for e in outcome["errors"])
    assert (flights.client.checksum("flights"), flights.columns()) == before


def test_an_integer_widened_to_bigint_is_a_rewrite_left_to_contract_apply(flights: Flights):
    flights.write(base().replace("bigint", "integer"))
    flights.load("day1/flights.csv", "1,AA,")
    flights.contract()

    outcome = flights.load("day2/flights.csv", "2,UA,")

    (error,) = outcome["errors"]
    assert (outcome["status"], error["column"], error["value"]) == ("FAILED", "flight_id", "integer NOT NULL")
    assert error["rule"] == ("schema drift (rewrite): the contract says bigint (wider); run "
                             + flights.alter('ALTER COLUMN "flight_id" TYPE bigint')
                             + " (PostgreSQL rewrites the table: harness contract apply runs it)")


def test_a_change_is_rolled_back_with_a_failed_file(flights: Flights):
    flights.contract()
    flights.load("day1/flights.csv", "1,AA,")
    flights.contract(columns=DELAYED)

    outcome = flights.load("day2/flights.csv", "2,UA,,maybe", header=WITH_DELAYED)

    assert outcome["status"] == "FAILED" and outcome["schema_changes"] == []
    assert [(e["row"], e["column"]) for e in outcome["errors"]] == [(1, "delayed")]
    assert "delayed" not in flights.columns() and flights.client.count("flights") == 1


def test_refused_by_postgresql_says_so(flights: Flights):
    flights.contract()
    flights.load("day1/flights.csv", "1,AA,")
    flights.client.execute("ALTER TABLE flights ADD CONSTRAINT positive CHECK (flight_id > 0)")

    outcome = flights.load("day2/flights.csv", "-5,UA,")

    (error,) = outcome["errors"]
    assert error["rule"].startswith('refused by PostgreSQL: new row for relation "flights" violates check constraint')


@pytest.mark.parametrize("on_error", ["fail", "reject_rows"])
def test_a_key_clash_in_a_load_that_changes_the_table_is_found_on_its_own_connection(
        flights: Flights, on_error: str, monkeypatch: pytest.MonkeyPatch):
    # A second connection would wait for the ALTER's lock until the load ends (clashes.RememberedLookup).
    limits = "on_error: reject_rows\nmax_rejected_rows: 5\n" if on_error == "reject_rows" else ""
    monkeypatch.setenv("QUARANTINE_PREFIX", "quarantine/")
    flights.contract(extra=KEYED + limits)
    flights.load("day1/flights.csv", "1,AA,", "2,UA,")
    flights.contract(extra=KEYED + limits, columns=DELAYED)

    outcome = flights.load("day2/flights.csv", "3,DL,,true", "2,UA,,false", header=WITH_DELAYED)

    assert [(e["row"], e["column"], e["value"]) for e in outcome["errors"]] == [(2, "flight_id", "2")]
    if on_error == "fail":
        assert outcome["status"] == "FAILED" and "delayed" not in flights.columns()
    else:
        assert (outcome["status"], outcome["rows_loaded"]) == ("PARTIAL", 1)
        assert outcome["schema_changes"] == [flights.alter('ADD COLUMN "delayed" boolean')]
        assert flights.client.query("SELECT flight_id, delayed FROM flights ORDER BY 1") == [
            (1, None), (2, None), (3, True)]
