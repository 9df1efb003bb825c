"""The declarative source, plus what a manifest cannot say: the config checked (defaults, one readable line), the
combined-grouping streams, `check`'s steps, and a failed sync said in one line typed by its worst failure."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import pkgutil
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
    Type,
)
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.models.declarative_component_schema import CustomRequester as CustomRequesterModel
from airbyte_cdk.sources.declarative.models.declarative_component_schema import Spec as SpecModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.spec import Spec
from airbyte_cdk.sources.declarative.validators.validator import Validator
from airbyte_cdk.sources.types import ConnectionDefinition, StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from airbyte_cdk.utils.yaml_loader import safe_load_yaml

from source_interval_metrics import config as config_rules
from source_interval_metrics import groupings, inputs, interval_grid, retention, service_hosts

MANIFEST = "manifest.yaml"
STATUS_STREAM = "agent_status_changes"
CHECKED = {"skill_interval_metrics": "interval metrics", STATUS_STREAM: "agent status changes"}
# The CDK's words when a fresh OAuth token is refused too; ours say what to check.
CDK_REFUSED_TOKEN = "Refreshed OAuth access token is rejected by the API."
REFUSED_TOKEN = (
    "LivePerson refused a freshly issued access token (HTTP 401). The OAuth 2.0 application needs the "
    "Data > Workforce Management permission, and LivePerson must enable LEUI.BAM_Enabled, "
    "Common.WorkforceManagement_AHT and lp-agentactivity-app.wfm-nrt-interval-metrics for the account."
)


@cache
def manifest() -> ConnectionDefinition:
    """The manifest shipped inside the package (never a manifest.yaml that happens to be in the working directory)."""
    data = pkgutil.get_data(__package__ or "source_interval_metrics", MANIFEST)
    if not data:
        raise FileNotFoundError(f"{MANIFEST} is missing from the source_interval_metrics package")
    loaded: ConnectionDefinition = safe_load_yaml(data.decode())
    return loaded


def connection_specification() -> Mapping[str, Any]:
    spec: Mapping[str, Any] = manifest()["spec"]["connection_specification"]
    return spec


@cache
def spec() -> Spec:
    """The manifest's spec, as the CDK builds it: the `spec` verb's answer, and the config's validations."""
    built: Spec = ModelToComponentFactory().create_component(SpecModel, manifest()["spec"], {})
    return built


def spec_validations() -> list[Validator]:
    """The spec's validations (`config_normalization_rules`)."""
    return list(spec().config_validations)


def _actionable(said: str | None, access_help: str | None) -> str | None:
    """What LivePerson said, with the CDK's generic words for a refused refreshed token replaced by what to check (what
    the stream's access needs, where the stream's `access_help` says)."""
    if said != CDK_REFUSED_TOKEN:
        return said
    return (
        f"LivePerson refused a freshly issued access token (HTTP 401). {access_help}" if access_help else REFUSED_TOKEN
    )


# The worst failure decides the sync's: the user must act, then a bug, then "try again later".
FAILURE_ORDER = (FailureType.config_error, FailureType.system_error, FailureType.transient_error)


def sync_failure(failures: Mapping[str, AirbyteErrorTraceMessage]) -> AirbyteTracedException:
    """One short line for the streams that failed, typed by the worst failure (the CDK types it `config_error`)."""
    worst = min(
        (error.failure_type or FailureType.system_error for error in failures.values()), key=FAILURE_ORDER.index
    )
    said = "; ".join(f"{name}: {(error.message or '')[:300]}" for name, error in failures.items())
    return AirbyteTracedException(
        message=f"{len(failures)} stream(s) did not sync. {said}",
        internal_message="Streams failed: " + ", ".join(failures),
        failure_type=worst,
    )


class SourceIntervalMetrics(ConcurrentDeclarativeSource):
    """LivePerson Interval Metrics: one stream per grouping, and one per combined grouping the config asks for."""

    check_config_against_spec = False  # checked here instead, with a message that names the key

    def __init__(
        self,
        catalog: ConfiguredAirbyteCatalog | None = None,
        config: Mapping[str, Any] | None = None,
        state: list[AirbyteStateMessage] | None = None,
        **kwargs: Any,
    ) -> None:
        self._build(catalog, config, state, **kwargs)

    def _build(
        self,
        catalog: ConfiguredAirbyteCatalog | None,
        config: Mapping[str, Any] | None,
        state: list[AirbyteStateMessage] | None,
        **kwargs: Any,
    ) -> None:
        self._raw_config = dict(config) if config is not None else None
        self._config_problem: str | None = None
        self._checked_config: dict[str, Any] = {}
        combined: list[groupings.Combination] = []
        if config is not None:
            spec = connection_specification()
            prepared = config_rules.with_defaults(config, spec)
            try:
                config_rules.check(prepared, spec, spec_validations())
            except config_rules.ConfigProblem as problem:
                self._config_problem = str(problem)
            else:
                self._checked_config, combined = prepared, groupings.combinations(prepared)
        definition = dict(copy.deepcopy(manifest()))  # plus a stream for each combined grouping the config asks for
        streams = [*definition["streams"], *map(groupings.stream_definition, combined)]
        self._stream_names = [stream["$parameters"]["name"] for stream in streams]
        # What a stream's access needs beyond the rest, as its `$parameters` say.
        self._access_help = {
            stream["$parameters"]["name"]: stream["$parameters"].get("access_help") for stream in streams
        }
        wanted = {configured.stream.name for configured in catalog.streams} if catalog else set()  # a read's streams
        definition["streams"] = [s for s in streams if s["$parameters"]["name"] in wanted] if wanted else streams
        self._built = {stream["$parameters"]["name"] for stream in definition["streams"]}
        super().__init__(
            catalog=catalog or ConfiguredAirbyteCatalog(streams=[]),
            config=self._checked_config,
            state=state or [],
            source_config=definition,
            **kwargs,
        )

    @classmethod
    def read_catalog(cls, catalog_path: str) -> ConfiguredAirbyteCatalog:
        return inputs.read_catalog(catalog_path)

    @classmethod
    def read_state(cls, state_path: str | None) -> list[AirbyteStateMessage]:
        return inputs.read_state(state_path)

    def _configure_for(
        self,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog | None = None,
        state: list[AirbyteStateMessage] | None = None,
    ) -> None:
        """Build again when a verb brings a config other than the one given at construction (as test kits do; the
        CDK's entrypoint hands back the construction's config with its defaults filled in, which is the same), or
        needs streams the construction left out (one built for a read, then asked to check, discover or read more)."""
        needed = {configured.stream.name for configured in catalog.streams} if catalog else set(self._stream_names)
        other_config = config is not None and dict(config) not in (self._raw_config, self._checked_config)
        if other_config or not needed & set(self._stream_names) <= self._built:
            self._build(catalog, config if other_config else self._raw_config, state)
        _, unknown = config_rules.unknown_keys(config or {}, connection_specification())
        if unknown and not self._config_problem:
            self.logger.warning(
                f"The config has keys this connector does not know, which it ignores: {', '.join(map(repr, unknown))}."
            )
        if self._config_problem:
            raise AirbyteTracedException(
                message=self._config_problem,
                internal_message=self._config_problem,
                failure_type=FailureType.config_error,
            )

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Find the hosts, sign in, and read one entry of the last hour of each stream the manifest's `check` names: a
        failure names the step and what to do. Interval metrics must be readable; where agent status changes are not
        (an account may lack that permission), the check succeeds and says so."""
        try:
            self._configure_for(config)
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        try:
            service_hosts.agent_activity_url(self._checked_config)
            service_hosts.sentinel_url(self._checked_config)
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(
                status=Status.FAILED, message=f"Finding the account's hosts failed: {error.message}"
            )
        requesters = {
            name: self._requester_asking_for_one_entry(name) for name in self._source_config["check"]["stream_names"]
        }
        try:
            next(iter(requesters.values())).get_authenticator().get_auth_header()
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=f"Signing in failed: {error.message}")
        unreadable = []
        for name, requester in requesters.items():
            try:
                self._read_the_last_hour(requester, name)
            except AirbyteTracedException as error:
                said = _actionable(error.message, self._access_help.get(name))
                if name != STATUS_STREAM:
                    return AirbyteConnectionStatus(
                        status=Status.FAILED, message=f"Reading {CHECKED[name]} failed: {said}"
                    )
                unreadable.append(f"{name} cannot be read: {said}")
        return AirbyteConnectionStatus(status=Status.SUCCEEDED, message=" ".join(unreadable) or None)

    def _requester_asking_for_one_entry(self, name: str) -> HttpRequester:
        """The stream's requester, as the manifest declares it (the interval streams' with a page size of one)."""
        (stream,) = [stream for stream in self.resolved_manifest["streams"] if stream["name"] == name]
        requester: HttpRequester = ModelToComponentFactory().create_component(
            CustomRequesterModel,
            stream["retriever"]["requester"],
            {**self._checked_config, "page_size": 1},
            name=name,
        )
        return requester

    @staticmethod
    def _read_the_last_hour(requester: HttpRequester, name: str) -> None:
        end = interval_grid.floor(dt.datetime.now(dt.UTC), 60)
        window = StreamSlice(
            partition={},
            cursor_slice={
                "start_time": interval_grid.rfc3339(end - dt.timedelta(hours=1)),
                "end_time": interval_grid.rfc3339(end - dt.timedelta(seconds=1)),
            },
        )
        one_change = {"next_page_token": {"offset": "0", "limit": "1"}} if name == STATUS_STREAM else None
        # A 400 refusing a metric for the grouping is asked again without it, as reads are: the connection is good.
        requester.send_request(stream_slice=window, next_page_token=one_change)

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        self._configure_for(config)
        return super().discover(logger, config)

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        self._configure_for(config, catalog, state)
        self._refuse_unknown_streams(catalog)
        self._warn_about_unreadable_intervals(catalog, state or [])
        failures: dict[str, AirbyteErrorTraceMessage] = {}
        try:
            for message in super().read(logger, config, catalog, state):
                error = message.trace.error if message.type == Type.TRACE and message.trace else None
                if error:
                    stream = error.stream_descriptor.name if error.stream_descriptor else ""
                    error.message = _actionable(error.message, self._access_help.get(stream))
                    if stream in failures and failures[stream].message == error.message:
                        continue  # the same failure from another window of the stream: said once
                    if stream:
                        failures.setdefault(stream, error)
                    if error.failure_type != FailureType.system_error:
                        error.stack_trace = None  # an expected condition, said in one line, not a bug
                yield message
        except AirbyteTracedException as error:
            if not failures:
                raise
            raise sync_failure(failures) from error

    def _refuse_unknown_streams(self, catalog: ConfiguredAirbyteCatalog) -> None:
        known = self._stream_names
        unknown = [configured.stream.name for configured in catalog.streams if configured.stream.name not in known]
        if unknown:
            raise AirbyteTracedException(
                message=f"The catalog asks for {', '.join(map(repr, unknown))}, which this connector does not have. "
                f"Its streams are {', '.join(known)}; run discover again and pick from them (a combined grouping "
                "such as skill_agent_interval_metrics needs its entry in extra_groupings).",
                failure_type=FailureType.config_error,
            )

    def _warn_about_unreadable_intervals(
        self, catalog: ConfiguredAirbyteCatalog, state: list[AirbyteStateMessage]
    ) -> None:
        saved: dict[str, str] = {}
        for message in state:
            if message.stream and message.stream.stream_state:
                value = getattr(message.stream.stream_state, "intervalStart", None)
                if isinstance(value, str):
                    saved[message.stream.stream_descriptor.name] = value
        now = dt.datetime.now(dt.UTC)
        for configured in catalog.streams:
            name = configured.stream.name
            if not name.endswith("_interval_metrics"):
                continue  # how long LivePerson keeps status changes is learned from its answers
            warning = retention.unreadable_warning(name, self._checked_config, saved.get(name), now)
            if warning:
                self.logger.warning(warning)
