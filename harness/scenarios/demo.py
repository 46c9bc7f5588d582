"""`harness demo`: a representative handful of scenarios and a one-screen account of them."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel

from harness.scenarios.catalogue import TEST, USERS
from harness.scenarios.model import Generated, Result, Scenario, Upload
from harness.scenarios.report import results_table

DEMO: tuple[Scenario, ...] = (
    Scenario(
        "valid users.csv", "50 Faker users -> table users (replace)", (Upload("users.csv", USERS),), {"users": 50}
    ),
    Scenario("valid test.csv", "60 measurements -> table test (append)", (Upload("test.csv", TEST),), {"test": 60}),
    Scenario(
        "users.csv with a bad email",
        "one row breaks the email rule: nothing loads, the message names row and column",
        (Upload("users.csv", Generated("users", 40, seed=31, defect="bad_email"), ("FAILED",), error_at_defect=True),),
        {"users": "unchanged"},
    ),
    Scenario("orders.csv", "not whitelisted -> REJECTED", (Upload("orders.csv", USERS, ("REJECTED",)),), {"users": 0}),
    Scenario(
        "same event twice",
        "S3 delivers at least once: the redelivery is SKIPPED by the ledger",
        (Upload("users.csv", USERS, ("SUCCEEDED", "SKIPPED"), deliveries=2),),
        {"users": 50},
    ),
)

NEXT_STEPS = """\
[bold]harness up[/]                         keep a stack running (writes .harness/stack.json)
[bold]harness generate users --rows 1000[/]  make a Faker CSV (add --defect NAME to break it)
[bold]harness validate FILE --as users.csv[/] check a file without loading it
[bold]harness replay FILE --key users.csv[/]  upload, take the real S3 event, invoke, show the outcome
[bold]harness scenarios[/]                  the whole end-to-end catalogue (--json, --junit FILE)
[bold]harness down[/]                       stop what `up` started"""


def print_demo(console: Console, results: list[Result], seconds: float) -> None:
    console.print(results_table(results))
    passed = sum(r.passed for r in results)
    what = (
        "Each scenario uploaded a generated file to the moto S3 emulator, took the real S3 event from its SQS\n"
        "queue, invoked lambda_handler through the Lambda emulation, read the SNS outcome message back from\n"
        "the capture queue and counted rows in the real PostgreSQL. Every scenario had its own bucket and schema."
    )
    console.print(
        Panel(
            what,
            title=f"{passed}/{len(results)} as expected in {seconds:.1f}s; stack stopped",
            border_style="green" if passed == len(results) else "red",
        )
    )
    console.print(Panel(NEXT_STEPS, title="where to look next"))
