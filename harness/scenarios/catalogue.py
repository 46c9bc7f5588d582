"""The scenario catalogue, as data. Keys are relative to each scenario's own prefix and bucket."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from fixtures import DEFECTS
from harness.scenarios.model import Generated, Scenario, Upload

USERS = Generated("users", 50, seed=11)
USERS_B = Generated("users", 30, seed=12)
TEST = Generated("test", 60, seed=21)
TEST_B = Generated("test", 40, seed=22)


def _defect_scenario(defect: str) -> Scenario:
    table = DEFECTS[defect].tables[0]
    clean = USERS if table == "users" else TEST
    name = "users.csv" if table == "users" else "test.csv"
    return Scenario(
        name=f"defect-{defect}",
        description=f"{DEFECTS[defect].description} -> FAILED, {table} unchanged, error at the injected row/column",
        uploads=(
            Upload(f"first/{name}", clean),
            Upload(f"broken/{name}", Generated(table, 40, seed=31, defect=defect), ("FAILED",), error_at_defect=True),
        ),
        tables={table: "unchanged"},
    )


def _rejected(key: str) -> Scenario:
    slug = key.replace("/", "-").replace(".", "-")
    return Scenario(
        name=f"rejected-{slug}",
        description=f"{key!r} is not whitelisted -> REJECTED, nothing loaded",
        uploads=(Upload(key, USERS, ("REJECTED",)),),
        tables={"users": 0},
    )


BASIC: list[Scenario] = [
    Scenario("valid-users", "50 valid users -> SUCCEEDED, 50 rows", (Upload("users.csv", USERS),), {"users": 50}),
    Scenario("valid-test", "60 valid measurements -> SUCCEEDED, 60 rows", (Upload("test.csv", TEST),), {"test": 60}),
    Scenario(
        "append-twice",
        "two test.csv files under different keys -> both SUCCEEDED, rows add up (append)",
        (Upload("day1/test.csv", TEST), Upload("day2/test.csv", TEST_B)),
        {"test": 100},
    ),
    Scenario(
        "replace-after-replace",
        "two users.csv files -> only the second file's rows remain (replace)",
        (Upload("day1/users.csv", USERS), Upload("day2/users.csv", USERS_B)),
        {"users": 30},
    ),
    *[_rejected(k) for k in ("orders.csv", "Users.csv", "users.csv.bak", "archive/old_users.csv")],
    Scenario(
        "key-with-spaces-and-plus",
        "a key with spaces and '+' is URL-decoded and loads",
        (Upload("in coming/batch+1/users.csv", USERS),),
        {"users": 50},
    ),
    Scenario(
        "gzip", "users.csv.gz -> decompressed and loaded", (Upload("users.csv.gz", USERS, gzip=True),), {"users": 50}
    ),
    Scenario(
        "delivered-twice",
        "the same S3 event delivered twice -> SUCCEEDED then SKIPPED, loaded once",
        (Upload("users.csv", USERS, ("SUCCEEDED", "SKIPPED"), deliveries=2),),
        {"users": 50},
    ),
    Scenario(
        "failed-delivered-twice",
        "a broken file's S3 event delivered twice -> FAILED then SKIPPED (already FAILED under this contract): "
        "one FAILED message",
        (Upload("users.csv", Generated("users", 40, seed=31, defect="bad_email"), ("FAILED", "SKIPPED"),
                deliveries=2),),
        {"users": "unchanged"},
    ),
    Scenario(
        "multipart-upload",
        "a ~12 MB users.csv in 5 MiB parts; moto's extra ObjectCreated event -> SKIPPED, loaded once",
        (
            Upload(
                "users.csv",
                Generated("users", 150_000, seed=41),
                ("SUCCEEDED", "SKIPPED"),
                multipart=True,
                last_event_moto_only=True,
            ),
        ),
        {"users": 150_000},
    ),
    Scenario(
        "concurrent-both-tables",
        "users.csv and test.csv uploaded and ingested at the same time from two threads",
        (Upload("users.csv", USERS), Upload("test.csv", TEST)),
        {"users": 50, "test": 60},
        concurrent=True,
    ),
    Scenario(
        "large-test-1m",
        "1,000,000 test rows (~110 MB, multipart), streamed in blocks; the extra event SKIPPED",
        (
            Upload(
                "test.csv",
                Generated("test", 1_000_000, seed=51),
                ("SUCCEEDED", "SKIPPED"),
                multipart=True,
                last_event_moto_only=True,
            ),
        ),
        {"test": 1_000_000},
        large=True,
    ),
    Scenario(
        "database-unreachable",
        "DATABASE_URL on a closed port -> 3 attempts, then the on-failure destination record on the topic",
        (Upload("users.csv", USERS, ()),),
        kind="database_down",
    ),
    Scenario("s3-test-event", "s3:TestEvent -> ignored, no message", kind="test_event"),
]

# Row-level rejects in every mode: tables with test.csv's columns and on_error: reject_rows.
PARTIAL_CONTRACTS = str(Path(__file__).resolve().parent / "partial_contracts")


def _partial(mode: str, expected_rows: int, meaning: str) -> Scenario:
    table = f"lab_{mode}"
    first = Generated(table, 50, seed=11, contracts=PARTIAL_CONTRACTS)
    broken = Generated(table, 40, seed=12, defect="nan:value", contracts=PARTIAL_CONTRACTS)
    return Scenario(
        f"partial-{mode}",
        f"{mode}, on_error reject_rows: 50 rows, then 40 with one NaN -> SUCCEEDED, PARTIAL (39 loaded, 1 set "
        f"aside) -> {expected_rows} rows ({meaning})",
        (Upload(f"day1/lab-{mode}.csv", first), Upload(f"day2/lab-{mode}.csv", broken, ("PARTIAL",))),
        {table: expected_rows},
        contracts=PARTIAL_CONTRACTS,
    )


PARTIAL = [
    _partial("append", 89, "appended"),
    _partial("replace", 39, "the accepted rows replace the table"),
    _partial("upsert", 89, "merged on test_id"),
]

CATALOGUE: list[Scenario] = BASIC + PARTIAL + [_defect_scenario(d) for d in DEFECTS]


def select(
    pattern: str | None = None, *, include_large: bool = True, contracts: str | Path | None = None
) -> list[Scenario]:
    """Scenarios whose name matches a glob (or contains `pattern` as a substring).

    Without ``contracts``: the hand-written catalogue for the bundled users and test. With a folder: the
    scenarios generated for each of its contracts (harness.scenarios.generated).
    """
    if contracts is not None:
        from harness.scenarios.generated import contract_scenarios

        catalogue = contract_scenarios(contracts)
    else:
        catalogue = CATALOGUE
    chosen = [s for s in catalogue if include_large or not s.large]
    if not pattern:
        return chosen
    return [s for s in chosen if fnmatch.fnmatch(s.name, pattern) or pattern in s.name]
