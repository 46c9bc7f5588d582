"""`harness validate` hints: a FAILED file that may only need its contract to say how it writes missing
values or which encoding it uses is told which key to set (the real loader and validator, no stack)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from harness.cli import app

runner = CliRunner()
CONTRACT = "file: obs.csv\ntable: obs\nmode: append\n{dialect}columns:\n  k: {{type: integer}}\n" \
           "  delay: {{type: integer, required: false}}\n  note: {{type: text, required: false}}\n"


def _validate(tmp_path: Path, data: bytes, dialect: str = "", name: str = "obs.csv") -> tuple[int, dict, str]:
    folder = tmp_path / "contracts"
    folder.mkdir(exist_ok=True)
    (folder / "obs.yaml").write_text(CONTRACT.format(dialect=dialect))
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    as_json = runner.invoke(app, ["validate", str(path), "--contracts", str(folder), "--json"])
    human = runner.invoke(app, ["validate", str(path), "--contracts", str(folder)], terminal_width=200)
    assert as_json.exit_code == human.exit_code
    return as_json.exit_code, json.loads(as_json.stdout), human.stdout


def test_a_common_marker_in_a_typed_column_gets_one_hint_per_marker(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'NA' if i % 3 else i},NA\n" for i in range(1, 31)) + "31,N/A,x\n32,-,y\n33,unknown,z\n"
    code, data, human = _validate(tmp_path, ("k,delay,note\n" + rows).encode())
    assert code == 1 and data["error_count"] == 23  # 20 NA, N/A, -, unknown; the NA in the text column is text
    assert data["hints"] == ["if `NA` means missing, set dialect.missing: NA",
                             "if `N/A` means missing, set dialect.missing: N/A",
                             'if `-` means missing, set dialect.missing: "-"']
    assert human.count("hint: if `NA` means missing") == 1
    assert human.index("FAILED:") < human.index("hint: if `NA`")

    code, data, _ = _validate(tmp_path, ("k,delay,note\n" + rows).encode(), "dialect: {missing: NA}\n")
    assert data["hints"] == ["if `N/A` means missing, set dialect.missing: N/A",
                             'if `-` means missing, set dialect.missing: "-"']  # NA already is the marker


def test_null_and_backslash_n_are_quoted_as_yaml_needs(tmp_path: Path) -> None:
    _, data, _ = _validate(tmp_path, b"k,delay,note\n1,NULL,a\n2,\\N,b\n")
    assert data["hints"] == ['if `NULL` means missing, set dialect.missing: "NULL"',
                             'if `\\N` means missing, set dialect.missing: "\\\\N"']


def test_a_windows_1252_file_is_named_and_loads_once_the_contract_says_so(tmp_path: Path) -> None:
    data = "k,delay,note\n1,5,Genève\n2,6,5 €\n".encode("cp1252")
    for name in ("obs.csv", "obs.csv.gz"):
        code, report, human = _validate(tmp_path, data, name=name)
        assert code == 1 and report["hints"] == ["the file decodes as windows-1252: set dialect.encoding: windows-1252"]
        assert "hint: the file decodes as windows-1252" in human
    code, report, _ = _validate(tmp_path, data, "dialect: {encoding: windows-1252}\n")
    assert (code, report["status"], report["hints"]) == (0, "SUCCEEDED", [])


def test_a_mixed_file_or_one_windows_1252_cannot_read_gets_no_windows_1252_hint(tmp_path: Path) -> None:
    mixed = "k,delay,note\n1,5,Genève\n".encode() + "2,6,Genève\n".encode("cp1252")
    _, report, _ = _validate(tmp_path, mixed)
    assert report["hints"] == ["the file mixes UTF-8 with other bytes (e.g. one pasted row): save it again as UTF-8"]
    _, report, _ = _validate(tmp_path, b"k,delay,note\n1,5,Gen\xe8ve\n2,6,A\x81B\n")
    assert report["status"] == "FAILED" and report["hints"] == []


def test_a_file_that_loads_gets_no_hint(tmp_path: Path) -> None:
    code, report, human = _validate(tmp_path, b"k,delay,note\n1,,NA\n")
    assert (code, report["hints"]) == (0, []) and "hint" not in human
