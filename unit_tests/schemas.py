"""Every record a test produces must validate against its stream's JSON schema."""

from __future__ import annotations

import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from source_interval_metrics import groupings

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
COMBINED = {
    combination.name: combination
    for size in range(2, len(groupings.DIMENSIONS) + 1)
    for combination in map(groupings.Combination, itertools.combinations(groupings.DIMENSIONS, size))
}


@cache
def validator(stream: str) -> Draft7Validator:
    """The stream's schema: its file, or for a combined grouping, the one its dimensions give."""
    schema = (
        groupings.schema(COMBINED[stream])
        if stream in COMBINED
        else json.loads((SCHEMAS / f"{stream}.json").read_text())
    )
    return Draft7Validator(schema, format_checker=FormatChecker())


def assert_valid_records(stream: str, records: list[dict[str, Any]]) -> None:
    for record in records:
        error = next(iter(validator(stream).iter_errors(record)), None)
        assert error is None, f"{stream} record {record} breaks its schema: {error.message if error else ''}"
