"""`harness demo`: a representative handful of scenarios and a one-screen account of them."""

from __future__ import annotations

import json

from rich.console import Console
from rich.json import JSON
from rich.panel import Panel
from rich.table import Table

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

NEXT_STEPS = (
    ("harness up", "keep a stack running (writes .harness/stack.json)"),
    ("harness generate users -n 1000", "a Faker CSV; --defect NAME breaks it"),
    ("harness validate FILE --as users.csv", "check a file without loading it"),
    ("harness replay FILE --key users.csv", "upload, take the real S3 event, invoke, show"),
    ("harness scenarios", "the whole catalogue (--select, --json, --junit)"),
    ("harness down", "stop what `up` started"),
)


def print_demo(console: Console, results: list[Result], seconds: float) -> None:
    console.print(results_table(results))
    passed = sum(r.passed for r in results)
    what = (
        "Each scenario uploaded a generated file to the moto S3 emulator, took the real S3 event from its SQS "
        "queue, invoked lambda_handler through the Lambda emulation, read the SNS outcome message back from "
        "the capture queue and counted rows in the real PostgreSQL. Every scenario had its own bucket and schema."
    )
    console.print(
        Panel(  # fitted to its text: piped output is 10,000 columns wide (harness/cli/consoles.py)
            what,
            title=f"{passed}/{len(results)} as expected in {seconds:.1f}s; stack stopped",
            border_style="green" if passed == len(results) else "red",
            expand=False,
        )
    )
    failed = next((m for r in results for m in r.messages if m.get("status") == "FAILED"), None)
    if failed is not None:  # what a subscriber receives, in full
        console.print(f"[bold]the SNS message of the FAILED upload ({failed.get('key')}), as subscribers get it:[/]")
        console.print(JSON(json.dumps(failed, ensure_ascii=False)), soft_wrap=True)
    steps = Table.grid(padding=(0, 2))
    for command, purpose in NEXT_STEPS:
        steps.add_row(f"[bold]{command}[/]", purpose)
    console.print(Panel(steps, title="where to look next", expand=False))
