"""The manifest shipped inside the package, and the spec the CDK builds from it."""

from __future__ import annotations

import copy
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Any

from airbyte_cdk.sources.declarative.models.declarative_component_schema import Spec as SpecModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.spec import Spec
from airbyte_cdk.sources.declarative.validators.validator import Validator
from airbyte_cdk.sources.types import ConnectionDefinition
from airbyte_cdk.utils.yaml_loader import safe_load_yaml

MANIFEST = "manifest.yaml"


@cache
def _loaded() -> ConnectionDefinition:
    data = pkgutil.get_data(__package__ or "source_interval_metrics", MANIFEST)
    if not data:
        raise FileNotFoundError(f"{MANIFEST} is missing from the source_interval_metrics package")
    loaded: ConnectionDefinition = safe_load_yaml(data.decode())
    return loaded


def manifest() -> ConnectionDefinition:
    """A copy of the packaged manifest (never a manifest.yaml that happens to be in the working directory): the CDK
    resolves references in place."""
    return copy.deepcopy(_loaded())


def connection_specification() -> Mapping[str, Any]:
    spec: Mapping[str, Any] = _loaded()["spec"]["connection_specification"]
    return spec


@cache
def spec() -> Spec:
    """The manifest's spec, as the CDK builds it: the `spec` verb's answer, and the config's validations."""
    built: Spec = ModelToComponentFactory().create_component(SpecModel, _loaded()["spec"], {})
    return built


def spec_validations() -> list[Validator]:
    """The spec's validations (`config_normalization_rules`)."""
    return list(spec().config_validations)
