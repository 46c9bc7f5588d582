"""Apply contracts/contract.schema.json to a loaded YAML document, with messages a person can act on.

The zip carries no JSON Schema library, so this interprets the subset of draft 2020-12 the shipped
schema uses (a unit test holds it to that subset and to the `jsonschema` package's verdicts). Each
problem is (path, message), the path in the contract's own terms: `columns.amount.type`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_FILE = "contract.schema.json"
ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "default", "examples", "$defs"}
SUPPORTED = ANNOTATIONS | {
    "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
    "minItems", "uniqueItems", "items", "properties", "additionalProperties", "required", "minProperties",
    "anyOf", "not", "allOf", "if", "then", "$ref",
}
_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}

Problem = tuple[str, str]


# The schema lives in the package (so the zip and a pip install carry it); contracts/ links to it for editors.
SCHEMA_PATH = Path(__file__).with_name(SCHEMA_FILE)


@cache
def load_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "object": dict, "array": list,
                              "null": type(None)}[kind])


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) or len(value) <= 60 else repr(value[:57] + "...")


class SchemaChecker:
    """Checks documents against one schema; `problems(doc)` lists every (path, message)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema

    def problems(self, document: Any) -> list[Problem]:
        return list(self._check(self.root, document, ""))

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $ref is supported, got {ref!r}")
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node[part]
            schema = node
        return schema

    def _check(self, schema: dict[str, Any], value: Any, path: str) -> Iterator[Problem]:
        schema = self._resolve(schema)
        kinds = schema.get("type")
        if kinds is not None:
            kinds = [kinds] if isinstance(kinds, str) else kinds
            if not any(_is(value, k) for k in kinds):
                wanted = " or ".join(_TYPE_NAMES[k] for k in kinds)
                yield path, f"must be {wanted}, got {_show(value)}"
                return
        if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
            options = ", ".join(json.dumps(e) if not isinstance(e, str) else repr(e) for e in schema["enum"])
            hint = difflib.get_close_matches(str(value), [str(e) for e in schema["enum"]], n=1)
            guess = f" (did you mean {hint[0]!r}?)" if hint else ""
            yield path, f"must be one of {options}, got {_show(value)}{guess}"
            return
        if "const" in schema and value != schema["const"]:
            yield path, f"must be {schema['const']!r}"
        if isinstance(value, str):
            yield from self._string(schema, value, path)
        if _is(value, "number"):
            yield from self._number(schema, value, path)
        if isinstance(value, list):
            yield from self._array(schema, value, path)
        if isinstance(value, dict):
            yield from self._object(schema, value, path)
        yield from self._combinators(schema, value, path)

    def _string(self, schema: dict[str, Any], value: str, path: str) -> Iterator[Problem]:
        if len(value) < schema.get("minLength", 0):
            least = schema["minLength"]
            yield path, "must not be empty" if least == 1 else f"at least {least} characters"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield path, f"at most {schema['maxLength']} characters, got {len(value)}"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield path, f"must match {schema['pattern']}, got {_show(value)}"

    def _number(self, schema: dict[str, Any], value: float, path: str) -> Iterator[Problem]:
        if "minimum" in schema and value < schema["minimum"]:
            yield path, f"must be ≥ {schema['minimum']}, got {value}"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            yield path, f"must be > {schema['exclusiveMinimum']}, got {value}"
        if "maximum" in schema and value > schema["maximum"]:
            yield path, f"must be ≤ {schema['maximum']}, got {value}"

    def _array(self, schema: dict[str, Any], value: list[Any], path: str) -> Iterator[Problem]:
        if len(value) < schema.get("minItems", 0):
            yield path, "must not be empty"
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for item in value:
                if any(item == s and type(item) is type(s) for s in seen):
                    yield path, f"lists {_show(item)} more than once"
                seen.append(item)
        if "items" in schema:
            for i, item in enumerate(value):
                yield from self._check(schema["items"], item, _join(path, i))

    def _object(self, schema: dict[str, Any], value: dict[Any, Any], path: str) -> Iterator[Problem]:
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                yield _join(path, name), "missing (required)"
        if len(value) < schema.get("minProperties", 0):
            yield path, "must not be empty"
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if not isinstance(key, str):
                yield _join(path, str(key)), f"names must be text, got {_show(key)} (quote it in YAML)"
                continue
            if key in properties:
                yield from self._check(properties[key], item, _join(path, key))
            elif extra is False:
                hint = difflib.get_close_matches(key, list(properties), n=1)
                yield _join(path, key), "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else
                                                         f" (known: {', '.join(properties)})")
            elif isinstance(extra, dict):
                yield from self._check(extra, item, _join(path, key))

    def _combinators(self, schema: dict[str, Any], value: Any, path: str) -> Iterator[Problem]:
        for sub in schema.get("allOf", []):
            yield from self._check(sub, value, path)
        if "anyOf" in schema:
            branches = [list(self._check(sub, value, path)) for sub in schema["anyOf"]]
            if all(branches):
                keys = [k for sub in schema["anyOf"] for k in self._resolve(sub).get("required", [])]
                if keys and len(keys) == len(schema["anyOf"]):
                    yield path, f"needs one of: {', '.join(keys)}"
                else:
                    yield from branches[0]
        if "not" in schema and not list(self._check(schema["not"], value, path)):
            keys = self._resolve(schema["not"]).get("required", [])
            yield path, f"may not combine {' and '.join(keys)}: give one" if keys else "is not allowed here"
        if "if" in schema and not list(self._check(schema["if"], value, path)):
            because = [f"{k} is {v['const']}" for k, v in schema["if"].get("properties", {}).items() if "const" in v]
            suffix = f" (because {', '.join(because)})" if because else ""
            for where, message in self._check(schema.get("then", {}), value, path):
                yield where, message + suffix


def unsupported_keywords(schema: Any) -> set[str]:
    """Keywords of `schema` this checker does not interpret (a unit test keeps this empty)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, sub in schema.items():
            if key not in SUPPORTED:
                found.add(key)
            if key in ("properties", "$defs"):
                for inner in sub.values():
                    found |= unsupported_keywords(inner)
            elif key not in ("enum", "const", "required", "default", "examples"):
                found |= unsupported_keywords(sub)
    elif isinstance(schema, list):
        for item in schema:
            found |= unsupported_keywords(item)
    return found
