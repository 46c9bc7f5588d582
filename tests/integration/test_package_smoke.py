"""The built zip, unzipped alone, handles a real S3 event in a clean interpreter of each target Python.

Per version: build the zip, unpack it into an empty folder, and call `lambda_function.lambda_handler`
from `python -I -S` whose path is only that folder plus a folder of the runtime-provided packages
(boto3, botocore, s3transfer, jmespath, dateutil, urllib3, six). The event names an object just
uploaded to the embedded stack; the rows must land in its PostgreSQL.

A missing or broken handler fails here (the clean interpreter exits non-zero); only a missing
interpreter of a target version skips, and says which.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.deploy.bundle import build_package
from harness.deploy.smoke import find_interpreter, invoke, runtime_provided_dir, unpack
from harness.stack import StackInfo, stack_client

pytestmark = pytest.mark.slow

# (python, ship .pyc): every runtime plain, and python3.11 once more with `--compile` byte code.
CASES = [("3.11", False), ("3.12", False), ("3.13", False), ("3.11", True)]
HEADER = "user_id,email,full_name,country_code,signup_date,is_active"


def _users_csv(tag: str) -> tuple[str, list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = [
        (1, f"ann.{tag}@example.com", "Ann Lee", "GB", "2020-01-02", True),
        (2, f"bo.{tag}@example.com", "Bo Ström", "SE", "2021-06-30", False),
        (3, f"chen.{tag}@example.org", "陈伟", "CN", "2019-12-31", True),
    ]
    lines = [HEADER] + [f"{i},{e},{n},{c},{d},{str(a).lower()}" for i, e, n, c, d, a in rows]
    return "\n".join(lines) + "\n", rows


def _s3_event(bucket: str, key: str, etag: str, size: int) -> dict[str, object]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": etag, "size": size}},
            }
        ]
    }


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    found = [i for i in map(find_interpreter, sorted({version for version, _ in CASES})) if i is not None]
    return runtime_provided_dir(tmp_path_factory.mktemp("lambda-runtime"), found)


@pytest.mark.parametrize(("version", "compiled"), CASES, ids=["3.11", "3.12", "3.13", "3.11-compiled"])
def test_zip_handles_an_s3_event_in_a_clean_interpreter(
    version: str, compiled: bool, stack: StackInfo, runtime_dir: Path, tmp_path: Path
) -> None:
    interpreter = find_interpreter(version)
    if interpreter is None:
        reason = f"no CPython {version} on PATH or under ~/.pyenv/versions: python{version} zip not smoke-tested"
        print(f"SKIP: {reason}", file=sys.stderr)
        pytest.skip(reason)

    built = build_package(version, "x86_64", out_dir=tmp_path / "dist", compile_bytecode=compiled)
    task_dir = unpack(built.zip_path, tmp_path / "task")
    pyc = task_dir / "numpy" / "__pycache__" / f"__init__.cpython-{version.replace('.', '')}.pyc"
    assert pyc.is_file() == compiled

    tag = f"py{version.replace('.', '')}" + ("c" if compiled else "")
    body, rows = _users_csv(tag)
    key = f"smoke-{tag}-{uuid.uuid4().hex[:8]}/users.csv"
    s3 = stack_client(stack, "s3")
    s3.put_object(Bucket=stack.bucket, Key=key, Body=body.encode())
    head = s3.head_object(Bucket=stack.bucket, Key=key)
    event = _s3_event(stack.bucket, key, head["ETag"].strip('"'), head["ContentLength"])

    schema = f"smoke_{tag}_{uuid.uuid4().hex[:6]}"  # our own schema: other tests' tables stay untouched
    environment = {**stack.lambda_environment(), "DB_SCHEMA": schema, "POWERTOOLS_SERVICE_NAME": "csv-ingest-smoke"}
    run = invoke(interpreter, task_dir, runtime_dir, event, environment, home=tmp_path / "home")
    assert run.returncode == 0 and run.payload is not None, run.explain()

    payload = run.payload
    assert payload["python"][:2] == [int(n) for n in version.split(".")]
    outcomes = payload["result"]["outcomes"]
    assert [o["status"] for o in outcomes] == ["SUCCEEDED"], run.explain()
    assert outcomes[0]["rows_loaded"] == len(rows)
    print(
        f"python{version}{' with .pyc' if compiled else ''}: "
        f"cold `import lambda_function` {payload['import_seconds']:.2f} s, "
        f"zip {built.zipped_bytes / 2**20:.1f} MiB",
        file=sys.stderr,
    )

    # Isolation: every module came from the zip, the runtime folder or the interpreter's stdlib.
    stdlib = Path(interpreter.path).resolve().parents[1]
    allowed = (task_dir.resolve(), runtime_dir.resolve(), stdlib)
    strays = [f for f in payload["module_files"] if not any(Path(f).resolve().is_relative_to(a) for a in allowed)]
    assert not strays
    assert not [f for f in payload["module_files"] if "site-packages" in f]
    loaded_from = {
        Path(f).resolve().relative_to(task_dir.resolve()).parts[0]
        for f in payload["module_files"]
        if Path(f).resolve().is_relative_to(task_dir.resolve())
    }
    assert {"lambda_function", "numpy", "sqlalchemy", "psycopg"} <= loaded_from
    assert "pandas" not in loaded_from  # the checks need numpy alone

    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text(
                    "SELECT user_id, email, full_name, country_code, signup_date::text, is_active"
                    f" FROM {schema}.users ORDER BY user_id"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in stored] == rows
