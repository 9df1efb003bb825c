"""The catalog and state files, read with one actionable line for each way they can be wrong.

State is what the Airbyte platform sends: a list of STREAM (or GLOBAL) messages (one message on its own is taken as
a list of one). The LEGACY message and the legacy object `{"<stream>": {...}}` of Airbyte's first protocol are
refused by name: no platform of this connector's time sends them, and the connector never wrote them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.models import (
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
)

STATE_EXAMPLE = '[{"type": "STREAM", "stream": {"stream_descriptor": {"name": "<stream>"}, "stream_state": {...}}}]'
_FIRST_PROBLEM = re.compile(r"^- (?P<what>.*?) \(instance_path='(?P<where>[^']*)'\)$", re.MULTILINE)


class InputProblem(ValueError):
    """A catalog or state file the connector cannot use; the message says which and what to fix."""


def read_catalog(path: str) -> ConfiguredAirbyteCatalog:
    catalog = _json(path, "catalog")
    if not isinstance(catalog, Mapping) or not isinstance(catalog.get("streams"), list):
        raise InputProblem(
            f'The catalog must be a JSON object with a "streams" list (Airbyte\'s configured catalog); got '
            f"{_kind(catalog)}{' without a streams list' if isinstance(catalog, Mapping) else ''}."
        )
    try:
        loaded: ConfiguredAirbyteCatalog = ConfiguredAirbyteCatalogSerializer.load(catalog)
    except Exception as error:  # the protocol's schema check raises several kinds
        raise InputProblem(f"The catalog is not valid: {_first_problem(error)}.") from None
    return loaded


def read_state(path: str | None) -> list[AirbyteStateMessage]:
    state = _json(path, "state") if path else None
    if not state:
        return []
    if isinstance(state, Mapping) and "type" not in state:
        raise InputProblem(
            f"The state is a legacy state object, which this connector does not read; give a list of Airbyte state "
            f"messages such as {STATE_EXAMPLE}."
        )
    if isinstance(state, Mapping):  # one message, not in a list
        state = [state]
    if not isinstance(state, list):
        raise InputProblem(
            f"The state must be a list of Airbyte state messages, such as {STATE_EXAMPLE}; got {_kind(state)}."
        )
    messages: list[AirbyteStateMessage] = []
    for number, entry in enumerate(state):
        if not isinstance(entry, Mapping) or entry.get("type") not in ("STREAM", "GLOBAL"):
            raise InputProblem(
                f"State message #{number + 1} must be an object whose type is STREAM or GLOBAL, such as "
                f"{STATE_EXAMPLE}; got {_kind(entry)}."
            )
        kind = "stream" if entry["type"] == "STREAM" else "global"
        if not isinstance(entry.get(kind), Mapping):
            raise InputProblem(f'State message #{number + 1} is of type {entry["type"]} but has no "{kind}" object.')
        try:
            messages.append(AirbyteStateMessageSerializer.load(entry))
        except Exception as error:
            raise InputProblem(f"State message #{number + 1} is not valid: {_first_problem(error)}.") from None
    return messages


def _json(path: str, what: str) -> Any:
    try:
        with open(path) as file:
            return json.load(file)
    except OSError as error:
        raise InputProblem(f"The {what} file {path} cannot be read: {error.strerror or error}.") from None
    except ValueError as error:
        raise InputProblem(f"The {what} file {path} is not valid JSON: {error}.") from None


def _first_problem(error: Exception) -> str:
    found = _FIRST_PROBLEM.search(str(error))
    if not found:
        return " ".join(str(error).split())[:300] or type(error).__name__
    where = found["where"].replace("/", ".") or "top level"
    return f"at {where}, {found['what']}"


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
