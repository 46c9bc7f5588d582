"""Read a folder of table contracts (one YAML file per whitelisted name) into a checked Whitelist.

The handler does this once per container from TABLE_CONTRACTS (default: the `contracts/` folder beside
the `lambda_function` package: the zip root in Lambda, the repository root in a checkout). Any problem
in any file raises one ContractError naming each file and field; nothing is half-loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigurationError
from .build import build_contract
from .globs import globs_overlap
from .model import Contract, WrittenFloat
from .routing import Whitelist
from .schema_check import SchemaChecker, load_schema

ENV_VAR = "TABLE_CONTRACTS"
SUFFIXES = (".yaml", ".yml")


def default_folder() -> Path:
    return Path(__file__).resolve().parents[2] / "contracts"


@dataclass(frozen=True, slots=True)
class ContractProblem:
    source: str
    path: str  # the field, e.g. columns.amount.type ("" for the whole file)
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path}: {self.message}" if self.path else f"{self.source}: {self.message}"


class ContractError(ConfigurationError):
    """One or more contracts are unusable; the message lists every problem, one per line."""

    def __init__(self, problems: list[ContractProblem]) -> None:
        self.problems = problems
        more = f"\n({len(problems)} problems in table contracts)" if len(problems) > 1 else ""
        super().__init__("\n".join(str(p) for p in problems) + more)


class _StrictLoader(yaml.SafeLoader):
    """Safe loading with YAML 1.2's booleans (yes/no/on/off stay text), dates kept as text, no repeated keys."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))


def _mapping_without_repeats(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
        seen[key] = loader.construct_object(value_node, deep=True)
    return seen


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


def _float_as_written(loader: _StrictLoader, node: yaml.ScalarNode) -> float:
    """Bounds of exact types are read from what was written, never from the binary float
    (12345678901234567.89 is not a float64)."""
    return WrittenFloat.of(loader.construct_yaml_float(node), str(node.value).replace("_", ""))


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _float_as_written)


def read_document(path: Path) -> tuple[Any, list[ContractProblem]]:
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [ContractProblem(source, "", "not UTF-8 text")]
    except OSError as exc:
        return None, [ContractProblem(source, "", f"cannot be read ({exc.strerror})")]
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [ContractProblem(source, "", f"{where}not valid YAML ({reason})")]
    if not isinstance(document, dict):
        return None, [ContractProblem(source, "", "must be a YAML mapping (file:, table:, mode:, columns: ...)")]
    return document, []


def load_contract(path: Path) -> tuple[Contract | None, list[ContractProblem]]:
    """One file: YAML, then the JSON Schema, then the semantic checks, then the checks that use the rules."""
    document, problems = read_document(path)
    if document is None:
        return None, problems
    source = str(path)
    found = _yaml_pitfalls(document) or SchemaChecker(load_schema()).problems(document)
    if found:
        return None, [ContractProblem(source, where, message) for where, message in found]
    contract, found = build_contract(document, source)
    if contract is None:
        return None, [ContractProblem(source, where, message) for where, message in found]
    found = _rule_problems(contract)
    return (None if found else contract), [ContractProblem(source, where, message) for where, message in found]


def _yaml_pitfalls(document: dict[Any, Any]) -> list[tuple[str, str]]:
    """`{type: numeric(10,2)}` is cut at the comma by YAML's flow mappings: say so instead of "unknown key '2)'"."""
    columns = document.get("columns")
    found = []
    for name, column in (columns.items() if isinstance(columns, dict) else []):
        kind = column.get("type") if isinstance(column, dict) else None
        if isinstance(kind, str) and kind.count("(") > kind.count(")"):
            rest = next((k for k in column if isinstance(k, str) and k.endswith(")")), "…)")
            found.append((f"columns.{name}.type", f"{kind!r} was cut at its comma by YAML: quote it, "
                                                  f"e.g. type: \"{kind},{rest}\""))
    return found


def _rule_problems(contract: Contract) -> list[tuple[str, str]]:
    """enum values must themselves pass the column's type and constraints (or no value could ever load)."""
    from ..checking.rules import rule_for  # the rules are built from the model, so they come after it

    problems = []
    for column in contract.columns:
        if column.enum:
            rule = rule_for(column)
            for i, value in enumerate(column.enum):
                if (why := rule.explain(value)) is not None:
                    where = f"columns.{column.name}.enum[{i}]"
                    problems.append((where, f"{value!r} is not allowed by the column: {why}"))
    return problems


def _cross_problems(contracts: list[Contract]) -> list[ContractProblem]:
    problems = []
    for i, first in enumerate(contracts):
        for second in contracts[i + 1:]:
            if globs_overlap(first.name, second.name):
                key = "match" if second.match else "file"
                what = "claims the same name as" if first.file and second.file else "can match a name of"
                problems.append(ContractProblem(second.source, key, f"{second.name!r} {what} {first.source} "
                                                                    f"({first.name!r}); each name needs one contract"))
            if first.table == second.table and (_shape(first) != _shape(second)):
                problems.append(ContractProblem(second.source, "table", f"{second.table!r} is also loaded by "
                                                f"{first.source} with other columns, primary key or lineage"))
    return problems


def _shape(contract: Contract) -> tuple[Any, ...]:
    return contract.primary_key, tuple((c.name, c.type, c.required) for c in contract.columns), contract.lineage


def contract_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())


def check_folder(folder: Path | str) -> tuple[Whitelist | None, list[ContractProblem]]:
    """Every problem in a folder of contracts (for `harness contract check`), and the whitelist when none."""
    path = Path(folder)
    if not path.is_dir():
        return None, [ContractProblem(str(path), "", f"{ENV_VAR}: not a folder of table contracts")]
    files = contract_files(path)
    if not files:
        return None, [ContractProblem(str(path), "", f"{ENV_VAR}: no contracts (*.yaml) in this folder")]
    contracts, problems = [], []
    for file in files:
        contract, found = load_contract(file)
        problems += found
        if contract is not None:
            contracts.append(contract)
    problems += _cross_problems(contracts)
    return (None if problems else Whitelist(tuple(contracts), str(path))), problems


def contracts_folder(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    configured = env.get(ENV_VAR, "").strip()
    return Path(configured) if configured else default_folder()


def load_contracts(folder: Path | str | None = None) -> Whitelist:
    """The checked whitelist of a folder (default: TABLE_CONTRACTS, else the folder beside the package)."""
    whitelist, problems = check_folder(contracts_folder() if folder is None else folder)
    if whitelist is None:
        raise ContractError(problems)
    return whitelist
