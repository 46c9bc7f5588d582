"""`harness contract init DIR`: a contracts folder to start from, with the JSON Schema beside the contracts.

Every contract's first line names `contract.schema.json` relative to itself, so an editor validates the
YAML as it is typed; copying only the YAML files (`cp contracts/*.yaml`) leaves that reference dangling.
The schema is copied, not linked: the folder is then whole in the user's own repository.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SCHEMA_NAME = "contract.schema.json"
EXAMPLE_NAME = "example.yaml"


def schema_bytes() -> bytes:
    return files("lambda_function.contract").joinpath(SCHEMA_NAME).read_bytes()


def example_text() -> str:
    return files("harness.authoring").joinpath("example_contract.yaml").read_text(encoding="utf-8")


def init_folder(folder: Path) -> list[str]:
    """Create or complete `folder`; one line per file saying what was done. Never overwrites a contract."""
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    schema = folder / SCHEMA_NAME
    if not schema.exists():
        schema.write_bytes(schema_bytes())
        done.append(f"wrote {schema} (the JSON Schema the contracts' first line names)")
    elif schema.read_bytes() != schema_bytes():
        schema.write_bytes(schema_bytes())  # it is ours, not the user's: keep it in step with this version
        done.append(f"updated {schema} to this version's JSON Schema")
    else:
        done.append(f"kept {schema} (already this version's)")
    contracts = sorted(p.name for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if contracts:  # an example beside real contracts would whitelist example.csv in that bucket
        done.append(f"no example written: {folder} already has contracts ({', '.join(contracts)})")
    else:
        (folder / EXAMPLE_NAME).write_text(example_text(), encoding="utf-8")
        done.append(f"wrote {folder / EXAMPLE_NAME} (an example to copy: every key, commented)")
    return done
