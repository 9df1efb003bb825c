"""Every record a test produces must validate against its stream's JSON schema."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@cache
def schema(stream: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{stream}.json").read_text())
    return loaded


@cache
def validator(stream: str) -> Draft7Validator:
    return Draft7Validator(schema(stream), format_checker=FormatChecker())


def assert_valid_records(stream: str, records: list[dict[str, Any]]) -> None:
    for record in records:
        error = next(iter(validator(stream).iter_errors(record)), None)
        assert error is None, f"{stream} record {record} breaks its schema: {error.message if error else ''}"
