"""Hostile files FAIL fast with bounded memory: each handler run is a subprocess under a 1.5 GiB
address-space limit (RLIMIT_AS), so a buffer that grew with the input would crash it instead."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
import zlib

import pytest

from tests.support.client import IngestClient

LIMIT_BYTES = 1536 * 1024 * 1024
RUNNER = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
import lambda_function
from harness.emulator.runtime import LambdaContext
event = json.loads(sys.stdin.read())
result = lambda_function.lambda_handler(event, LambdaContext.fresh())
peak_kb = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
print("RESULT" + json.dumps({{"outcome": result["outcomes"][0], "peak_mb": peak_kb // 1024}}))
"""


def _run_limited(client: IngestClient, key: str, data: bytes, **env: str) -> tuple[dict, float]:
    put = client.upload(key, data)
    client.real_events()
    names = [n for n in os.environ if n.startswith(("AWS_", "DATABASE_URL", "SNS_", "DB_"))]
    child_env = {**{n: os.environ[n] for n in names}, "PATH": os.environ["PATH"], "OPENBLAS_NUM_THREADS": "1",
                 "PYTHONPATH": os.getcwd(), **env}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", RUNNER.format(limit=LIMIT_BYTES)],
                          input=json.dumps(client.s3_event(key, put["ETag"])), capture_output=True, text=True,
                          env=child_env, timeout=300, check=False)
    seconds = time.monotonic() - started
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, f"handler crashed under the limit:\n{done.stderr[-3000:]}"
    return json.loads(line[len("RESULT"):]), seconds


def _bomb(member_bytes: int, members: int, line: bytes) -> bytes:
    """A multi-member gzip whose members each inflate to `member_bytes` of `line` repeated."""
    block = line * (member_bytes // len(line))
    member = gzip.compress(block, compresslevel=9, mtime=0)
    return member * members


def test_gzip_bomb_of_several_gib_fails_fast_with_bounded_memory(client: IngestClient):
    header = gzip.compress(b"user_id,email,full_name,country_code,signup_date,is_active\n", mtime=0)
    bomb = header + _bomb(64 * 1024 * 1024, 64, b"1,a@b.co,A,GB,2020-01-01,true\n")  # 4 GiB inflated
    assert len(bomb) < 20 * 1024 * 1024
    result, seconds = _run_limited(client, "users.csv.gz", bomb)
    outcome = result["outcome"]
    assert outcome["status"] == "FAILED"
    assert result["peak_mb"] < 1024
    assert client.checksum("users") == "absent"
    assert seconds < 120


def test_gzip_of_a_single_endless_line_fails_at_the_record_cap(client: IngestClient):
    zeros = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = zeros.compress(b"user_id,email,full_name,country_code,signup_date,is_active\n" + b"0" * (512 << 20))
    data += zeros.flush()
    result, _ = _run_limited(client, "users.csv.gz", data)
    (error,) = result["outcome"]["errors"]
    assert (error["row"], error["column"]) == (1, None) and "longer than" in error["rule"]
    assert result["peak_mb"] < 1024


def test_a_64_mib_field_fails_fast_naming_the_row(client: IngestClient):
    data = (b"user_id,email,full_name,country_code,signup_date,is_active\n1,a@b.co,A,GB,2020-01-01,true\n"
            b'2,b@b.co,"' + b"x" * (64 << 20) + b'",GB,2020-01-01,true\n')
    result, _ = _run_limited(client, "users.csv", data)
    (error,) = result["outcome"]["errors"]
    assert error["row"] == 2 and "1,048,576 bytes" in error["rule"]
    assert result["peak_mb"] < 1024


@pytest.mark.parametrize("env,rule_part", [({"MAX_OBJECT_BYTES": "1000"}, "object size at most 1,000 bytes"),
                                           ({"MAX_DECOMPRESSED_BYTES": "5000"}, "decompressed size at most")])
def test_size_caps_fail_with_a_file_level_error(client: IngestClient, make_csv, env, rule_part):
    data = make_csv("users", rows=200, seed=9).data
    key = "users.csv.gz" if "MAX_DECOMPRESSED_BYTES" in env else "users.csv"
    result, _ = _run_limited(client, key, gzip.compress(data) if key.endswith(".gz") else data, **env)
    (error,) = result["outcome"]["errors"]
    assert error["row"] is None and rule_part in error["rule"]
    # the verdict rests on a setting, not on the file: redelivered after the cap is raised, it loads
    put = client.s3.head_object(Bucket=client.bucket, Key=key)
    again = client.invoke(client.s3_event(key, put["ETag"]))["outcomes"][0]
    assert again["status"] == "SUCCEEDED", again.get("reason")
    assert client.count("users") == 200
