"""The connector's config checked against its spec, with one actionable line per problem, and defaults filled in."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.sources.declarative.validators.validator import Validator
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

PREFIX = "Config validation error: "


class ConfigProblem(ValueError):
    """A config that the spec refuses; the message names the key and what it allows."""


def with_defaults(config: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """`config` with every top-level default of `spec` filled in where the key is absent or null, and whole numbers
    written as floats (15.0, as JSON tools and UIs write them) turned into the integers they are."""
    filled = dict(config)
    for key, schema in spec.get("properties", {}).items():
        if filled.get(key) is None and "default" in schema:
            filled[key] = schema["default"]
        value = filled.get(key)
        if schema.get("type") == "integer" and isinstance(value, float) and value.is_integer():
            filled[key] = int(value)
    return filled


def unknown_keys(config: Mapping[str, Any], spec: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Top-level keys `spec` does not declare, the platform's own (they start with `_`) aside: the near misses of a
    declared key, each with the key it resembles, and the others."""
    known = {_plain(key): key for key in spec.get("properties", {})}
    near_misses: dict[str, str] = {}
    others: list[str] = []
    for key in config:
        if key in spec.get("properties", {}) or key.startswith("_"):
            continue
        resembles = difflib.get_close_matches(_plain(key), known, n=1, cutoff=0.8)
        if resembles:
            near_misses[key] = known[resembles[0]]
        else:
            others.append(key)
    return near_misses, others


def _plain(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def check(config: Mapping[str, Any], spec: Mapping[str, Any], validations: Iterable[Validator] = ()) -> None:
    """Raise ConfigProblem naming the first key that `spec` or one of the spec's `validations` refuses."""
    near_misses, _ = unknown_keys(config, spec)
    if near_misses:
        key, meant = next(iter(near_misses.items()))
        raise ConfigProblem(
            f"{PREFIX}{key!r} is not a setting of this connector; did you mean {meant!r}? Rename it: as written it "
            f"would be ignored, and {meant} would keep its default."
        )
    every_key = {**dict.fromkeys(spec.get("properties", {})), **config}  # an optional key left out is None
    validations = list(validations)
    try:
        _check_against(config, spec)
    except ConfigProblem:  # credentials of another kind (API keys) are named as such, not as a bad auth_type
        _validate(every_key, [v for v in validations if getattr(v, "field_path", None) == ["credentials"]])
        raise
    _validate(every_key, validations)


def _validate(config: Mapping[str, Any], validations: Iterable[Validator]) -> None:
    for validator in validations:
        try:
            validator.validate(dict(config))
        except ValueError as problem:
            raise ConfigProblem(f"{PREFIX}{str(problem).rstrip('.')}.") from None


def _check_against(config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    credentials = config.get("credentials")
    if isinstance(credentials, Mapping):
        branches = {b["properties"]["auth_type"]["const"]: b for b in spec["properties"]["credentials"]["oneOf"]}
        auth_type = credentials.get("auth_type")
        if auth_type not in branches:
            raise ConfigProblem(
                f"{PREFIX}credentials.auth_type must be one of {', '.join(branches)}, got {auth_type!r}."
            )
        spec = {**spec, "properties": {**spec["properties"], "credentials": branches[auth_type]}}
    errors = sorted(Draft7Validator(spec).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigProblem(PREFIX + _describe(errors[0]))


def _describe(error: ValidationError) -> str:
    key = ".".join(str(part) for part in error.absolute_path) or "config"
    schema, got = error.schema, error.instance
    # Whatever stands where credentials go may be one (a key pasted as the whole object, say): never shown.
    under_credentials = key.split(".")[0] == "credentials" and key != "credentials.auth_type"
    secret = under_credentials or (bool(schema.get("airbyte_secret")) if isinstance(schema, Mapping) else False)
    shown = "(hidden)" if secret else repr(got)
    match error.validator:
        case "required":
            missing = error.message.split("'")[1]
            where = f"{key}." if key != "config" else ""
            return f"{where}{missing} is required."
        case "enum":
            allowed = ", ".join(str(value) for value in error.validator_value)
            return f"{key} must be one of {allowed}; got {shown}."
        case "minimum" | "maximum":
            low, high = schema.get("minimum"), schema.get("maximum")
            return f"{key} must be between {low} and {high}; got {shown}."
        case "maxLength":
            return f"{key} must be at most {error.validator_value} characters long; got {shown}."
        case "pattern" | "format":
            example = f" (for example {schema['examples'][0]})" if schema.get("examples") else ""
            return f"{key} must look like {schema.get('pattern_descriptor', 'its examples')}{example}; got {shown}."
        case "type":
            return f"{key} must be of type {error.validator_value}; got {shown}."
        case "const":
            return f"{key} must be {error.validator_value!r}; got {shown}."
    return f"{key}: {error.message if not secret else 'is not valid'}."
