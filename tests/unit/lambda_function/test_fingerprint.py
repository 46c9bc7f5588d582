"""The contract fingerprint (ledger and message field `contract`) and the `evolve` key."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from lambda_function.contract import ContractError, load_contracts
from lambda_function.contract.describe import headline
from lambda_function.contract.fingerprint import canonical, contract_fingerprint
from lambda_function.contract.model import WrittenFloat

BASE = """# flights as delivered every day
file: flights.csv
table: flights
mode: append
description: Flights out of NYC.
columns:
  flight_id: {type: bigint, minimum: 1}
  carrier:   {type: varchar(2), description: IATA code}
  dep_delay: {type: "numeric(6,1)", required: false, maximum: 999.9}
"""


def _fingerprint(tmp_path: Path, text: str, name: str = "flights.yaml") -> str:
    folder = tmp_path / f"c{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / name).write_text(text)
    return contract_fingerprint(load_contracts(folder).find("flights.csv"))


def test_twelve_hex_digits_and_stable(tmp_path: Path) -> None:
    first = _fingerprint(tmp_path, BASE)
    assert len(first) == 12 and int(first, 16) >= 0
    assert _fingerprint(tmp_path, BASE + "\n") == first


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("# flights as delivered every day", "# a comment edited"),
    lambda t: t.replace("Flights out of NYC.", "Every flight out of NYC."),
    lambda t: t.replace(", description: IATA code", ""),
    lambda t: t.replace("minimum: 1}", "minimum: 1, required: true}"),
    lambda t: t.replace("mode: append", "mode: append\nevolve: safe\non_error: fail"),  # defaults written out
])
def test_what_only_documents_a_contract_or_restates_a_default_does_not_change_it(tmp_path: Path, edit) -> None:
    assert _fingerprint(tmp_path, edit(BASE)) == _fingerprint(tmp_path, BASE)


def test_the_file_the_contract_lives_in_does_not_change_it(tmp_path: Path) -> None:
    assert _fingerprint(tmp_path, BASE, "other.yaml") == _fingerprint(tmp_path, BASE)


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("minimum: 1}", "minimum: 2}"),
    lambda t: t.replace("varchar(2)", "varchar(3)"),
    lambda t: t.replace("required: false, ", ""),
    lambda t: t.replace("mode: append", "mode: append\nevolve: none"),
    lambda t: t.replace("mode: append", "mode: upsert\nprimary_key: [flight_id]"),
    lambda t: t + "  delayed: {type: boolean, required: false}\n",
    lambda t: t.replace("maximum: 999.9", "maximum: 999.8"),
    lambda t: t.replace("maximum: 999.9", "maximum: 999.90000000000000001"),  # the same float, another bound
])
def test_what_decides_a_verdict_changes_it(tmp_path: Path, edit) -> None:
    assert _fingerprint(tmp_path, edit(BASE)) != _fingerprint(tmp_path, BASE)


def test_every_field_counts_also_ones_added_later() -> None:
    @dataclasses.dataclass(frozen=True)
    class Dialect:
        missing: str = ""
        values: tuple[str, ...] = ("t", "yes")

    @dataclasses.dataclass(frozen=True)
    class Later:
        source: str
        dialect: Dialect
        bound: Decimal
        _cache: dict = dataclasses.field(default_factory=dict)

    assert canonical(Later("a.yaml", Dialect(), Decimal("0.10"))) == {
        "dialect": {"missing": "", "values": ["t", "yes"]}, "bound": "decimal:0.10"}
    assert canonical(Later("a", Dialect("NA"), Decimal(1))) != canonical(Later("a", Dialect(), Decimal(1)))
    assert canonical(WrittenFloat.of(0.1, "0.10")) == "written:0.10"  # a bound keeps the text it was written as


def test_evolve_defaults_to_safe_and_none_is_shown(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(BASE.replace("flights", "frozen").replace("mode: append", "mode: append\n"
                                                                                "evolve: none"))
    whitelist = load_contracts(tmp_path)
    assert whitelist.find("flights.csv").evolve == "safe"
    frozen = whitelist.find("frozen.csv")
    assert frozen.evolve == "none" and "schema changes: none" in headline(frozen)
    assert "schema changes" not in headline(whitelist.find("flights.csv"))


def test_an_unknown_evolve_value_names_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE.replace("mode: append", "mode: append\nevolve: always"))
    with pytest.raises(ContractError, match=r"a.yaml: evolve: must be one of 'safe', 'none', got 'always'"):
        load_contracts(tmp_path)
