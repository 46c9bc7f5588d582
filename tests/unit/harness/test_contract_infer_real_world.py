"""`harness contract infer` on files as public datasets ship them: samples written here that mimic
nycflights13 (flights, weather, planes), palmerpenguins and vega's iowa-electricity, Excel's windows-1252,
0/1 and Y/N booleans, dates written 2012/01/01. Every draft passes `contract check` and validates its sample."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fixtures
from harness.authoring import InferError, infer_contract
from tests.support.contracts import write_contract
from tests.support.drafts import assert_loads, drafted, types_of, write_sample

FLIGHTS = """\
year,month,day,dep_time,sched_dep_time,dep_delay,arr_time,arr_delay,carrier,flight,tailnum,air_time,time_hour
2013,1,1,517,515,2,830,11,UA,1545,N14228,227,2013-01-01T10:00:00Z
2013,1,1,NA,1630,NA,NA,NA,EV,4308,N18120,NA,2013-01-01T21:00:00Z
2013,1,2,2359,2359,0,1,-5,UA,745,NA,NA,2013-01-03T04:00:00Z
2013,12,31,1450,1500,-10,1710,-19,AA,1,N3JKAA,103,2013-12-31T19:00:00Z
"""


def _comment_of(text: str, column: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith(f"  {column}:"))
    return line.partition("  # ")[2]


def test_flights_numbers_stay_numbers_under_the_na_marker(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "flights.csv", FLIGHTS)
    text, contract = drafted(tmp_path, sample, "flights.csv")
    assert contract.missing == "NA" and '  missing: "NA"  # guessed: 7 unquoted' in text
    types = types_of(contract)
    assert {c: types[c] for c in ("dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "tailnum")} == {
        "dep_time": "smallint", "dep_delay": "smallint", "arr_time": "smallint", "arr_delay": "smallint",
        "air_time": "smallint", "tailnum": "text"}
    optional = {c.name for c in contract.columns if not c.required}
    assert optional == {"dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "tailnum"}
    assert "'NA'" not in text.partition("columns:")[2]  # no column fell back to text because of it
    assert _comment_of(text, "month").startswith("seen 1–12; guessed:")
    assert _comment_of(text, "dep_delay").startswith("seen -10 to 2;")
    assert _comment_of(text, "year").startswith("seen 2013;")
    assert _comment_of(text, "time_hour") == "seen 2013-01-01T10:00:00Z to 2013-12-31T19:00:00Z"
    assert contract.primary_key == ()  # flight is unique here, but a flight number is no identifier of a row
    assert_loads(sample, "flights.csv", contract)


def test_weather_and_planes_keep_measurements_typed_and_name_the_unique_column(tmp_path: Path) -> None:
    weather = write_sample(tmp_path, "weather.csv", (
        "origin,hour,temp,wind_gust,pressure,time_hour\n"
        "EWR,1,39.02,NA,1012,2013-01-01T06:00:00Z\nEWR,2,NA,NA,1012.3,2013-01-01T07:00:00Z\n"
        "JFK,3,37.94,21.86482,NA,2013-01-01T08:00:00Z\nJFK,4,NA,NA,NA,2013-01-01T09:00:00Z\n"))
    text, contract = drafted(tmp_path, weather, "weather.csv")
    assert contract.missing == "NA"
    assert types_of(contract) == {"origin": "text", "hour": "smallint", "temp": "numeric(6,2)",
                                  "wind_gust": "numeric(9,5)", "pressure": "numeric(7,1)", "time_hour": "timestamptz"}
    assert_loads(weather, "weather.csv", contract)

    planes = write_sample(tmp_path, "planes.csv", (
        "tailnum,year,type,engines,seats,speed,engine\n"
        "N10156,2004,Fixed wing multi engine,2,55,NA,Turbo-fan\n"
        "N102UW,1998,Fixed wing multi engine,2,182,NA,Turbo-fan\n"
        "N201AA,NA,Fixed wing single engine,1,2,90,Reciprocating\n"
        "N202AA,1980,Fixed wing multi engine,2,182,NA,Turbo-fan\n"))
    text, contract = drafted(tmp_path, planes, "planes.csv")
    assert types_of(contract)["year"] == "smallint" and types_of(contract)["speed"] == "smallint"
    assert contract.primary_key == ()
    assert "# no primary key guessed: unique and never empty in the sample: tailnum (a key is guessed only for" in text
    assert_loads(planes, "planes.csv", contract)


def test_penguins_na_in_numbers_and_in_sex(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "penguins.csv", (
        "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n"
        "Adelie,Torgersen,39.1,18.7,181,3750,male,2007\nAdelie,Torgersen,NA,NA,NA,NA,NA,2007\n"
        "Gentoo,Biscoe,46.1,13.2,211,4500,female,2008\nChinstrap,Dream,46.5,17.9,192,3500,NA,2009\n"))
    _, contract = drafted(tmp_path, sample, "penguins.csv")
    assert contract.missing == "NA"
    assert types_of(contract) == {"species": "text", "island": "text", "bill_length_mm": "numeric(5,1)",
                                  "bill_depth_mm": "numeric(5,1)", "flipper_length_mm": "smallint",
                                  "body_mass_g": "integer", "sex": "text", "year": "smallint"}
    assert not contract.column("sex").required and contract.column("species").required
    assert_loads(sample, "penguins.csv", contract)


def test_iowa_electricity_guesses_no_key_on_a_measured_value(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "iowa-electricity.csv", (
        "year,source,net_generation\n2001-01-01,Fossil Fuels,35361\n2002-01-01,Fossil Fuels,35991\n"
        "2001-01-01,Nuclear Energy,3853\n2002-01-01,Nuclear Energy,4574\n2001-01-01,Renewables,1437\n"))
    text, contract = drafted(tmp_path, sample, "iowa-electricity.csv")
    assert contract.primary_key == () and "primary_key: [" not in text
    assert "unique and never empty in the sample: net_generation (" in text
    assert _comment_of(text, "year") == "seen 2001-01-01 to 2002-01-01"
    assert_loads(sample, "iowa-electricity.csv", contract)


@pytest.mark.parametrize(("header", "key"), [("OrderId,total", "OrderId"), ("code,total", "code"),
                                             ("sku_key,total", "sku_key"), ("paid,total", None)])
def test_a_key_is_guessed_only_for_an_identifier(tmp_path: Path, header: str, key: str | None) -> None:
    sample = write_sample(tmp_path, "k.csv", f"{header}\n11,1.5\n12,2.5\n13,3.5\n")
    _, contract = drafted(tmp_path, sample, "k.csv")
    assert contract.primary_key == ((key,) if key else ())


def test_excel_windows_1252_is_detected_and_loads(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "excel.csv", "id;name;city;price\n1;José;Genève;5 €\n2;Zoë;Köln;7 €\n",
                          "cp1252")
    text, contract = drafted(tmp_path, sample, "excel.csv")
    assert contract.encoding == "windows-1252" and contract.delimiter == ";"
    assert "encoding: windows-1252  # guessed: not UTF-8 (byte 0xE9 on line 2)" in text
    assert_loads(sample, "excel.csv", contract)


def test_latin_1_only_when_windows_1252_leaves_a_byte_undefined(tmp_path: Path) -> None:
    sample = tmp_path / "old.csv"
    sample.write_bytes(b"id,name\n1,Jos\xe9\n2,A\x81B\n")
    text, contract = drafted(tmp_path, sample, "old.csv")
    assert contract.encoding == "latin-1"
    assert "not windows-1252 (byte 0x81 on line 3 is undefined there) -> latin-1" in text
    assert_loads(sample, "old.csv", contract)
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes("id\n1\n".encode("utf-16"))
    with pytest.raises(InferError, match="UTF-16"):
        infer_contract(utf16, "u16.csv")


def test_booleans_keep_their_spellings(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "flags.csv", "row_id,active,smoker,ok,all_yes,score\n"
                          "1,1,Y,t,Y,1\n2,0,N,f,Y,2\n3,1,y,T,Y,0\n4,0,n,F,Y,1\n")
    text, contract = drafted(tmp_path, sample, "flags.csv")
    assert types_of(contract) == {"row_id": "smallint", "active": "boolean", "smoker": "boolean", "ok": "boolean",
                                  "all_yes": "text", "score": "smallint"}
    spellings = {c.name: (c.true_values, c.false_values) for c in contract.columns if c.pg_type == "boolean"}
    assert spellings == {"active": (("1",), ("0",)), "smoker": (("y",), ("n",)), "ok": (("t",), ("f",))}
    assert 'true_values: ["1"], false_values: ["0"]}  # guessed: only 0 and 1 in the sample -> boolean' in text
    assert_loads(sample, "flags.csv", contract)


def test_dates_in_another_format_are_kept_as_text_and_said_so(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "d.csv", "day,at\n2012/01/01,01/31/2012 10:00\n2012/01/02,02/01/2012 11:30\n")
    text, contract = drafted(tmp_path, sample, "d.csv")
    assert types_of(contract) == {"day": "text", "at": "text"}
    assert _comment_of(text, "day") == "guessed: '2012/01/01': not YYYY-MM-DD, kept as text"
    assert _comment_of(text, "at") == "guessed: '01/31/2012 10:00': not YYYY-MM-DD HH:MM:SS, kept as text"


def test_empty_fields_and_a_marker_in_one_sample_are_pointed_out(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "mix.csv", "id,a,b,c\n1,5,,x\n2,NA,7,\n3,6,8,y\n")
    text, contract = drafted(tmp_path, sample, "mix.csv")
    assert "# both empty fields (in b, c: 2 fields) and 'NA' (in a: 1 field) mark missing values here: COPY " \
           "reads only one of them as NULL." in text
    assert "reads 'NA' as NULL and an empty field as empty text; kept as text: b." in text
    assert contract.missing == "NA" and types_of(contract)["a"] == "smallint" and types_of(contract)["b"] == "text"
    assert_loads(sample, "mix.csv", contract)
    # More columns stay typed reading empty fields as missing: then the marker is not proposed.
    sample = write_sample(tmp_path, "mix.csv", "id,a,b,c\n1,5,,\n2,NA,7,\n3,6,8,1.5\n")
    text, contract = drafted(tmp_path, sample, "mix.csv")
    assert contract.missing == "" and "reads empty fields as NULL (more columns stay typed)" in text
    assert types_of(contract) == {"id": "smallint", "a": "text", "b": "smallint", "c": "numeric(4,1)"}
    assert_loads(sample, "mix.csv", contract)


def test_a_quoted_na_is_text_and_na_only_among_text_is_not_proposed(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "c.csv", 'id,country,amount\n1,"NA",5\n2,FR,NA\n3,"NA",7\n')
    text, contract = drafted(tmp_path, sample, "c.csv")
    assert contract.missing == "NA" and contract.column("country").required  # Namibia, quoted: a value
    assert not contract.column("amount").required
    assert_loads(sample, "c.csv", contract)
    sample = write_sample(tmp_path, "c.csv", "id,country\n1,NA\n2,FR\n")
    text, contract = drafted(tmp_path, sample, "c.csv")
    assert contract.missing == ""
    assert "# 'NA' appears in country: 1 field (text): if it marks missing values there, set dialect.missing: NA" \
        in text
    assert_loads(sample, "c.csv", contract)


@pytest.mark.parametrize("marker", ["N/A", "NULL", "\\N", "-", "."])
def test_other_markers_in_numbers(tmp_path: Path, marker: str) -> None:
    sample = write_sample(tmp_path, "m.csv", f"id,reading,note\n1,5,a\n2,{marker},{marker}\n3,7.5,b\n")
    _, contract = drafted(tmp_path, sample, "m.csv")
    assert contract.missing == marker and types_of(contract)["reading"] == "numeric(4,1)"
    assert_loads(sample, "m.csv", contract)


def test_a_dash_among_text_only_is_a_value_and_a_second_marker_is_named(tmp_path: Path) -> None:
    sample = write_sample(tmp_path, "t.csv", "id,note\n1,a\n2,-\n")
    text, contract = drafted(tmp_path, sample, "t.csv")
    assert contract.missing == "" and "dialect" not in text
    sample = write_sample(tmp_path, "t.csv", "id,a,b\n1,NA,N/A\n2,3,4\n3,5,6\n")
    text, contract = drafted(tmp_path, sample, "t.csv")
    assert contract.missing == "NA" and types_of(contract)["b"] == "text"
    assert re.search(r"# 'N/A' also marks missing values in b: 1 field: COPY reads one marker only", text)
    assert_loads(sample, "t.csv", contract)


def test_a_generated_instrument_file_is_drafted_back_to_its_dialect(tmp_path: Path) -> None:
    given = tmp_path / "given"
    given.mkdir()
    sample = tmp_path / "instrument.csv"
    sample.write_bytes(fixtures.generate("instrument", 400, 2, contracts=write_contract(given, "instrument")).data)
    _, contract = drafted(tmp_path, sample, "instrument.csv")
    assert (contract.delimiter, contract.missing, contract.encoding) == (";", "NA", "windows-1252")
    spellings = {c.name: (c.true_values, c.false_values) for c in contract.columns if c.pg_type == "boolean"}
    assert spellings == {"passed": (("1",), ("0",)), "calibrated": (("yes", "y"), ("no", "n"))}
    assert types_of(contract)["température"].startswith("numeric(") and contract.primary_key == ("sample_id",)
    assert {c.name for c in contract.columns if not c.required} == {
        "lab", "température", "reading", "calibrated", "measured_on", "remark"}
    assert_loads(sample, "instrument.csv", contract)
