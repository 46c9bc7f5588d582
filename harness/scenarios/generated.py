"""Scenarios made from a folder of contracts: the same checks for every table, whatever its columns.

For each contract: a valid load, gzip, a redelivery, the load mode's meaning (replace replaces, append
appends, upsert merges on the key, replace_file replaces one key's rows with its corrected re-upload), a
deletion that unloads (when the contract unloads on removal), a schema change (an optional column added to
the contract: files with and without it load, and files of the old contract after it), names it must reject,
and every defect `harness generate` lists for it (FAILED at the recorded row and column, the table unchanged;
for replace_file the broken file is a new version of the clean one's key, which keeps its rows).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import fixtures
from harness.scenarios.model import Generated, Scenario, Upload
from lambda_function.contract import Contract, Whitelist, load_contracts

ROWS = 50
# Defects that are about the whole file: FAILED even under on_error: reject_rows.
WHOLE_FILE = frozenset({"empty_file", "header_only", "missing_column", "extra_column", "duplicate_header",
                        "wrong_delimiter", "unterminated_quote", "missing_required_column"})  # kind, before any ':col'


def rows_after_partial(contract: Contract) -> int | None:
    """Rows after a clean 50-row file and a 40-row one with one record set aside (None: not reject_rows)."""
    if contract.on_error != "reject_rows" or contract.max_rejected_rows == 0:
        return None
    return 39 if contract.mode in ("replace", "replace_file") else ROWS + 39  # replace_file: the same key


def contract_scenarios(folder: str | Path) -> list[Scenario]:
    """Every generated scenario for every contract in ``folder`` (names start with the table's)."""
    where = str(Path(folder).resolve())
    whitelist = load_contracts(where)
    out: list[Scenario] = []
    for contract in whitelist:
        out += _for_contract(contract, whitelist, where)
    return out


def _for_contract(contract: Contract, whitelist: Whitelist, folder: str) -> list[Scenario]:
    t, name = contract.table, contract.example_name()
    clean = Generated(t, ROWS, seed=11, contracts=folder)

    def scenario(suffix: str, description: str, uploads: tuple[Upload, ...], tables: dict[str, int | str]) -> Scenario:
        return Scenario(f"{t}-{suffix}", description, uploads, tables, contracts=folder)  # type: ignore[arg-type]

    out = [
        scenario("valid", f"{ROWS} generated {name} rows -> SUCCEEDED, {ROWS} rows", (Upload(name, clean),),
                 {t: ROWS}),
        scenario("gzip", f"{name}.gz -> decompressed and loaded", (Upload(f"{name}.gz", clean, gzip=True),),
                 {t: ROWS}),
        scenario("delivered-twice", "the same S3 event delivered twice -> SUCCEEDED then SKIPPED, loaded once",
                 (Upload(name, clean, ("SUCCEEDED", "SKIPPED"), deliveries=2),), {t: ROWS}),
        *_mode_scenarios(contract, folder),
        *_evolution_scenario(contract, folder),
    ]
    for key in (name.upper() if name.upper() != name else name.capitalize() + "x", f"{name}.bak"):
        if whitelist.lookup(key) is None:
            slug = key.replace("/", "-").replace(".", "-")
            out.append(scenario(f"rejected-{slug}", f"{key!r} is not whitelisted -> REJECTED, nothing loaded",
                                (Upload(key, clean, ("REJECTED",)),), {}))
    rows_rejecting = rows_after_partial(contract)
    for kind, defect in sorted(fixtures.catalogue(fixtures.layout(t, folder)).items()):
        broken = Generated(t, 40, seed=31, defect=kind, contracts=folder)
        first = Upload(f"first/{name}", clean)
        broken_key = f"first/{name}" if contract.mode == "replace_file" else f"broken/{name}"  # a new version
        # reject_rows sets the one bad record aside
        if rows_rejecting is not None and kind.partition(":")[0] not in WHOLE_FILE:
            out.append(scenario(
                f"defect-{kind.replace(':', '-')}", f"{defect.description} -> PARTIAL (reject_rows), 39 rows loaded",
                (first, Upload(broken_key, broken, ("PARTIAL",))), {t: rows_rejecting}))
            continue
        version = " as a new version of the key" if contract.mode == "replace_file" else ""
        out.append(scenario(
            f"defect-{kind.replace(':', '-')}",
            f"{defect.description}{version} -> FAILED, {t} unchanged, error at the injected row/column",
            (first, Upload(broken_key, broken, ("FAILED",), error_at_defect=True)),
            {t: "unchanged"}))
    return out


def _mode_scenarios(contract: Contract, folder: str) -> list[Scenario]:
    t, name = contract.table, contract.example_name()
    # Slices of one 80-row file: rows 31-80 then 1-50 (upsert: 20 shared keys), or 1-50 then 51-80 (append).
    def rows(first: int, last: int, revision: int = 0) -> Generated:
        return Generated(t, 80, seed=13, contracts=folder, first_row=first, last_row=last, revision=revision)

    day1, day2 = Upload(f"day1/{name}", rows(1, 50)), Upload(f"day2/{name}", rows(51, 80))
    unloads = [] if contract.on_object_removed != "unload" else [Scenario(
        f"{t}-deletion-unloads", "rows 1-50 and 51-80 under two keys, then the second object deleted -> UNLOADED, "
        "its 30 rows gone, one message", (day1, day2, Upload(day2.key, b"", ("UNLOADED",), delete=True)), {t: 50},
        contracts=folder)]
    if contract.mode == "replace":
        uploads = (Upload(f"day1/{name}", Generated(t, 50, seed=13, contracts=folder)),
                   Upload(f"day2/{name}", Generated(t, 30, seed=14, contracts=folder)))
        return [Scenario(f"{t}-replace-replaces", "two files -> only the second file's 30 rows remain (replace)",
                         uploads, {t: 30}, contracts=folder)]
    if contract.mode == "upsert":
        uploads = (Upload(f"day1/{name}", rows(31, 80)), Upload(f"day2/{name}", rows(1, 50)))
        return [Scenario(f"{t}-upsert-merges", "rows 31-80, then rows 1-50 of one file -> 80 rows: the 20 shared "
                         "keys updated, not duplicated (upsert)", uploads, {t: 80}, contracts=folder)]
    if contract.mode == "replace_file":
        corrected = Upload(day2.key, rows(51, 80, revision=1))  # the same keys, other values
        return [Scenario(f"{t}-replace-file-replaces", "rows 1-50 and 51-80 under two keys, then a corrected "
                         "51-80 under the second key -> still 80 rows, the second key's values replaced "
                         "(replace_file)", (day1, day2, corrected), {t: 80}, contracts=folder, changed=(t,)),
                *unloads]
    return [Scenario(f"{t}-append-appends", "rows 1-50, then rows 51-80 of one file under another key -> 80 rows "
                     "(append)", (day1, day2), {t: 80}, contracts=folder), *unloads]



EVOLVED_COLUMN = "evolved_note"


def evolved_contracts(contract: Contract) -> tuple[str, str] | None:
    """A folder holding `contract` with one optional text column added, and that column's name (None when the
    contract's columns are not a block mapping this can add a line to). The same contract gives the same folder."""
    text = Path(contract.source).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if re.fullmatch(r"columns:\s*(#.*)?", line.rstrip("\r\n"))), None)
    child = next((line for line in lines[at + 1:] if line.strip() and not line.lstrip().startswith("#")), None) \
        if at is not None else None
    if at is None or child is None or not child[0].isspace():
        return None
    name = EVOLVED_COLUMN
    while name in contract.column_names:
        name += "_"
    indent = child[: len(child) - len(child.lstrip())]
    lines.insert(at + 1, f"{indent}{name}: {{type: text, required: false}}  # added by the evolution scenario\n")
    digest = hashlib.sha256(("".join(lines) + contract.source).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"harness-evolved-{digest}"
    folder.mkdir(exist_ok=True)
    (folder / Path(contract.source).name).write_text("".join(lines), encoding="utf-8")
    return str(folder), name


def _evolution_scenario(contract: Contract, folder: str) -> list[Scenario]:
    evolved = evolved_contracts(contract)
    if evolved is None:
        return []
    changed, column = evolved
    t, name = contract.table, contract.example_name()

    # Four slices of one 80-row file, so keys never clash whatever the mode.
    def rows(first: int, contracts: str) -> Generated:
        return Generated(t, 80, seed=17, contracts=contracts, first_row=first, last_row=first + 19)

    uploads = (
        Upload(f"day1/{name}", rows(1, folder)),
        Upload(f"day2/{name}", rows(21, changed), contracts=changed, schema_changes=True),  # ALTER … ADD COLUMN
        Upload(f"day3/{name}", rows(41, folder), contracts=changed, schema_changes=False),  # the old layout
        Upload(f"day4/{name}", rows(61, folder), schema_changes=False),  # the column removed again: harmless
    )
    return [Scenario(f"{t}-evolve-optional-column", f"{column} added to the contract as an optional column: the "
                     f"next load adds it, files with and without the column load, so does the old contract",
                     uploads, {t: 20 if contract.mode == "replace" else 80}, contracts=folder)]
