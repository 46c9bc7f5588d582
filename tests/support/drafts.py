"""Drafting a contract in a test as `harness contract infer` does, and holding the draft to its promises:
the handler's loader accepts it, and it validates the sample it came from."""

from __future__ import annotations

from pathlib import Path

from harness.authoring import infer_contract
from harness.cli.validate import check_file
from lambda_function.contract import Contract, check_folder, load_contracts


def write_sample(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def drafted(tmp_path: Path, sample: Path, file: str, **options: str) -> tuple[str, Contract]:
    """The draft, checked by the handler's loader as its own contracts folder, and its Contract."""
    text = infer_contract(sample, file, **options)  # type: ignore[arg-type]
    folder = tmp_path / "contracts"
    folder.mkdir(exist_ok=True)
    (folder / f"{Path(file).stem}.yaml").write_text(text, encoding="utf-8")
    whitelist, problems = check_folder(folder)
    assert problems == [] and whitelist is not None, text
    contract = load_contracts(folder).find(file)
    assert contract is not None
    return text, contract


def assert_loads(sample: Path, file: str, contract: Contract) -> None:
    status, result, _ = check_file(sample, file, contract)
    assert status == "SUCCEEDED", result.errors if result else None


def types_of(contract: Contract) -> dict[str, str]:
    return {c.name: c.pg_type for c in contract.columns}
