"""`harness contract infer`: drafts that pass `contract check` and accept the very sample they came from."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from harness.authoring import InferError, infer_contract
from harness.cli import app
from lambda_function.contract import load_contracts
from tests.support.drafts import assert_loads as _loads
from tests.support.drafts import drafted as _drafted
from tests.support.drafts import types_of as _types
from tests.support.drafts import write_sample as _sample

runner = CliRunner()

UUIDS = [
    "6f1c2b1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    "6F1C2B1E-1C2D-4E5F-8A9B-0C1D2E3F4A5C",
    "0e4d8a3c-9b2f-4c1e-a7d6-5f3b2a1c0d9e",
]


def test_a_mixed_sample_gets_the_narrowest_types_its_values_all_pass(tmp_path: Path) -> None:
    sample = _sample(
        tmp_path,
        "sample.csv",
        "\n".join(
            [
                "order_id,qty,big,price,score,is_gift,placed_at,measured_at,delivery_date,tracking_id,note",
                f"1,5,300000000,12.50,1e5,TRUE,2024-01-01T10:00:00,2024-01-01T10:00:00Z,2024-02-29,{UUIDS[0]},hi",
                "2,150,-7,3.125,-2.5E-3,false,2024-01-01 10:00:00.123456,2024-01-01T10:00:00+02:00,"
                f"2024-03-01,{UUIDS[1]},",
                f"3,-20,12,100,3,False,2024-01-01T10:00,2024-06-01T10:00:00.5-05:30,2024-03-02,{UUIDS[2]},x",
            ]
        )
        + "\n",
    )
    text, contract = _drafted(tmp_path, sample, "orders.csv")
    assert _types(contract) == {
        "order_id": "smallint",
        "qty": "smallint",
        "big": "bigint",
        "price": "numeric(8,3)",
        "score": "double precision",
        "is_gift": "boolean",
        "placed_at": "timestamp",
        "measured_at": "timestamptz",
        "delivery_date": "date",
        "tracking_id": "uuid",
        "note": "text",
    }
    assert contract.table == "orders" and contract.mode == "append" and contract.delimiter == ","
    assert contract.primary_key == ("order_id",)
    assert [c.name for c in contract.columns if not c.required] == ["note"]
    assert "dialect" not in text and '"numeric(8,3)"' in text
    assert "x10 headroom -> bigint" in text  # 300,000,000 x10 no longer fits integer's 2,147,483,647
    _loads(sample, "orders.csv", contract)


def test_integers_with_leading_zeros_are_codes_kept_as_text(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "codes.csv", "id,branch,zip,count\n1,007,01234,10\n2,12,02139,200000\n3,0345,10001,7\n")
    text, contract = _drafted(tmp_path, sample, "codes.csv")
    assert _types(contract) == {"id": "smallint", "branch": "text", "zip": "text", "count": "integer"}
    assert "3 distinct widths with leading zeros (e.g. '007') -> text" in text
    assert "fixed width 5 with leading zeros (e.g. '01234') -> text" in text
    assert "max |value| 200,000 in the sample, x10 headroom -> integer" in text
    _loads(sample, "codes.csv", contract)


def test_empty_fields_make_a_column_optional_and_an_all_empty_column_text(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "events.csv", "event_id,amount,seen_on,blank\n10,1.5,,\n11,,2024-01-02,\n12,2.25,,\n")
    text, contract = _drafted(tmp_path, sample, "events.csv")
    assert _types(contract) == {"event_id": "smallint", "amount": "numeric(5,2)", "seen_on": "date", "blank": "text"}
    assert {c.name: c.required for c in contract.columns} == {
        "event_id": True,
        "amount": False,
        "seen_on": False,
        "blank": False,
    }
    assert "required: false" in text and "no values in the sample -> text" in text
    _loads(sample, "events.csv", contract)


def test_a_semicolon_file_gets_its_dialect_and_a_table_from_the_name(tmp_path: Path) -> None:
    sample = _sample(
        tmp_path,
        "export.csv",
        f"\ufeffTest ID;value;when\n{UUIDS[0]};0,5;2024-01-01T00:00:00Z\n{UUIDS[2]};1,5;2024-01-01T00:00:01Z\n",
    )
    text, contract = _drafted(tmp_path, sample, "Lab-Results 2024.csv")
    assert contract.delimiter == ";" and 'delimiter: ";"' in text
    assert contract.table == "lab_results_2024"
    # a decimal comma is not a number PostgreSQL reads: text, said so; the uuid under its quoted name is the key
    assert _types(contract) == {"Test ID": "uuid", "value": "text", "when": "timestamptz"}
    assert contract.primary_key == ("Test ID",)
    _loads(sample, "Lab-Results 2024.csv", contract)


def test_near_misses_fall_back_to_text_and_say_why(tmp_path: Path) -> None:
    sample = _sample(
        tmp_path,
        "messy.csv",
        "n,d,t,f\n1,2024-02-30,2024-01-01T00:00:00Z,1.5\n2,2024-01-01,"
        "2024-01-01T00:00:00,nan\n3,2024-01-02,2024-01-01T00:00:00Z,2.5\n"
        "unknown,2024-01-03,2024-01-01T00:00:00Z,3.5\n",  # a value, not a null marker (N/A would be one)
    )
    text, contract = _drafted(tmp_path, sample, "messy.csv", table="messy_import")
    assert contract.table == "messy_import"
    assert _types(contract) == {"n": "text", "d": "text", "t": "text", "f": "text"}
    assert "3 of 4 values are bigint but not 'unknown' -> text" in text
    assert "3 of 4 values are date but not '2024-02-30' -> text" in text
    assert contract.primary_key == ()  # nothing unique is an id: no key is guessed
    _loads(sample, "messy.csv", contract)


def test_the_key_is_guessed_only_when_unambiguous(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "pairs.csv", "left_id,right_id,x\n1,4,a\n2,5,a\n3,6,b\n")
    text, contract = _drafted(tmp_path, sample, "pairs.csv")
    assert contract.primary_key == ("left_id",)  # the first column, an id, unique: the likeliest key
    sample = _sample(tmp_path, "pairs.csv", "x,left_id,right_id\na,1,4\na,2,5\nb,3,6\n")
    text, contract = _drafted(tmp_path, sample, "pairs.csv")
    assert contract.primary_key == () and "no primary key guessed" in text
    assert "upsert needs a primary_key" in text


def test_headroom_and_very_large_integers(tmp_path: Path) -> None:
    big = 2**63 - 1
    sample = _sample(tmp_path, "wide.csv", f"a,b,c,d\n3276,3277,{big},{big * 10}\n-1,0,1,1\n")
    text, contract = _drafted(tmp_path, sample, "wide.csv")
    assert _types(contract) == {"a": "smallint", "b": "integer", "c": "bigint", "d": "numeric(22,0)"}
    assert "near bigint's limit (no headroom)" in text
    _loads(sample, "wide.csv", contract)


def test_the_draft_is_yaml_in_the_examples_style(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "t.csv", "a|true|b\n1|x|2.5\n2|y|3.5\n")
    text = infer_contract(sample, "t.csv")
    document = yaml.safe_load(text)
    assert document["dialect"] == {"delimiter": "|"}
    assert list(document["columns"]) == ["a", "true", "b"]  # header order; a YAML word as a key is quoted
    assert document["columns"]["b"] == {"type": "numeric(4,1)"}
    assert '  "true": {type: text}' in text


@pytest.mark.parametrize("content", [None, "", "\n\n"])
def test_a_missing_or_empty_sample_is_a_usage_error(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "s.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InferError):
        infer_contract(path, "s.csv")
    result = runner.invoke(app, ["contract", "infer", str(path), "--file", "s.csv"])
    assert result.exit_code == 2 and "error:" in result.output


def test_a_bad_name_or_delimiter_is_a_usage_error(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "s.csv", "a\n1\n")
    for file, delimiter in (("s.csv.gz", None), ("x/s.csv", None), ("s.csv", ":")):
        with pytest.raises(InferError):
            infer_contract(sample, file, delimiter=delimiter)


def test_the_cli_prints_or_writes_a_draft_the_handler_loads(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "sample.tsv", "user_id\tis_active\tsignup\n1\ttrue\t2024-01-01\n2\tFALSE\t2024-01-02\n")
    printed = runner.invoke(app, ["contract", "infer", str(sample), "--file", "users2.csv"])
    assert printed.exit_code == 0, printed.output
    assert "file: users2.csv" in printed.stdout and 'delimiter: "\\t"' in printed.stdout
    folder = tmp_path / "contracts"
    folder.mkdir()
    out = folder / "users2.yaml"
    written = runner.invoke(
        app,
        [
            "contract",
            "infer",
            str(sample),
            "--file",
            "users2.csv",
            "--table",
            "people",
            "--delimiter",
            "\\t",
            "--out",
            str(out),
        ],
    )
    assert written.exit_code == 0, written.output
    assert runner.invoke(app, ["contract", "check", str(folder)]).exit_code == 0
    contract = load_contracts(folder).find("users2.csv")
    assert contract is not None and contract.table == "people" and contract.delimiter == "\t"
    assert _types(contract) == {"user_id": "smallint", "is_active": "boolean", "signup": "date"}
    _loads(sample, "users2.csv", contract)
