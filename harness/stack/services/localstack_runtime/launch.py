"""Entry point run by the LocalStack venv's python (so: standard library and localstack only).

LocalStack's S3 keeps object bytes under a hard-coded /tmp/localstack-s3-storage that no setting
moves (TMPDIR does not reach it). Point it at the backend's own folder before the runtime starts,
so parallel stacks never share it and `down` removes it with the rest.
"""

import os
import runpy

import localstack.services.s3.provider as s3_provider

s3_provider.DEFAULT_S3_TMP_DIR = os.environ["HARNESS_S3_STORAGE_DIR"]
runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
