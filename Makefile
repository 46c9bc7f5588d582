# The two README commands: `make demo` and `make test`. Both bootstrap a local virtual
# environment first (.venv, with the dev extra), so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: venv test demo lint lock clean

# uv resolves and installs in seconds what pip takes a minute for; tox-uv (in the dev extra) makes
# tox build its environments with uv too. constraints-dev.txt pins every dev dependency (regenerate
# with `make lock`); tox's environments use it too (UV_CONSTRAINT in tox.ini). Without uv: pip.
$(STAMP): pyproject.toml constraints-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.4' \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints-dev.txt -e '.[dev]' \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints-dev.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Every tox environment, two at a time (7 min instead of 12 on 2 cores; a failing environment's output
# is printed in full); then `docker`, in the foreground, so its "docker: NOT RUN" report is always seen.
test: $(STAMP)
	$(BIN)/tox run-parallel -p 2 --parallel-no-spinner -e lint,type,cfn,unit,integration,e2e,package,localstack
	$(BIN)/tox run -e docker

demo: $(STAMP)
	$(BIN)/harness demo

lint: $(STAMP)
	$(BIN)/ruff check lambda_function harness fixtures tests

lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet -o constraints-dev.txt

clean:
	rm -rf $(VENV) .tox .harness build dist
