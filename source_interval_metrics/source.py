"""The declarative source as the CDK builds it from the packaged manifest, plus what the manifest cannot say: `check`'s
steps and wording, and a failed sync said in one line typed by its worst failure."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from airbyte_cdk.models import (
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
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics import inputs, interval_grid, retention, service_hosts
from source_interval_metrics.components.account import ACCOUNT, LivePersonAccount
from source_interval_metrics.progress import ReadProgress

STATUS_STREAM = "agent_status_changes"
# The CDK's words when a fresh OAuth token is refused too; ours say what to check.
CDK_REFUSED_TOKEN = "Refreshed OAuth access token is rejected by the API."
REFUSED_TOKEN = (
    "LivePerson refused a freshly issued access token (HTTP 401). The OAuth 2.0 application needs the "
    "Data > Workforce Management permission, and LivePerson must enable LEUI.BAM_Enabled, "
    "Common.WorkforceManagement_AHT and lp-agentactivity-app.wfm-nrt-interval-metrics for the account."
)
# The worst failure decides the sync's: the user must act, then a bug, then "try again later".
FAILURE_ORDER = (FailureType.config_error, FailureType.system_error, FailureType.transient_error)


def _actionable(said: str | None, access_help: str | None) -> str | None:
    """What LivePerson said, with the CDK's generic words for a refused refreshed token replaced by what to check (what
    the stream's access needs, where the stream's `access_help` says)."""
    if said != CDK_REFUSED_TOKEN:
        return said
    return (
        f"LivePerson refused a freshly issued access token (HTTP 401). {access_help}" if access_help else REFUSED_TOKEN
    )


def sync_failure(failures: Mapping[str, AirbyteErrorTraceMessage]) -> AirbyteTracedException:
    """One short line for the streams that failed, those that failed alike named together, typed by the worst failure
    (the CDK types it `config_error`)."""
    worst = min(
        (error.failure_type or FailureType.system_error for error in failures.values()), key=FAILURE_ORDER.index
    )
    alike: dict[str, list[str]] = {}
    for name, error in failures.items():
        alike.setdefault((error.message or "")[:300], []).append(name)
    said = "; ".join(f"{', '.join(names)}: {message}" for message, names in alike.items())
    return AirbyteTracedException(
        message=f"{len(failures)} stream(s) did not sync. {said}",
        internal_message="Streams failed: " + ", ".join(failures),
        failure_type=worst,
    )


class SourceIntervalMetrics(ConcurrentDeclarativeSource):
    """LivePerson Interval Metrics: one stream per grouping, one per combined grouping the config asks for (the
    manifest's `ConditionalStreams`), agent status changes, and the roster. Built as the CDK builds any declarative
    source: `SourceIntervalMetrics(catalog, config, state, source_config=manifest())`."""

    def _validate_source(self) -> None:
        """Not again at every start (a sixth of a second of each verb): the packaged manifest is constant, and the
        tests validate it against the CDK's component schema (`test_manifest_alone`, `test_components`)."""

    @classmethod
    def read_catalog(cls, catalog_path: str) -> ConfiguredAirbyteCatalog:
        return inputs.read_catalog(catalog_path)

    @classmethod
    def read_state(cls, state_path: str | None) -> list[AirbyteStateMessage]:
        return inputs.read_state(state_path)

    @property
    def stream_names(self) -> list[str]:
        """The streams this config gives (the combined groupings its `extra_groupings` asks for among them)."""
        return [str(stream["name"]) for stream in self._stream_configs(self._source_config)]

    def _access_help(self, name: str) -> str | None:
        """What the stream's access needs beyond the others', as its `$parameters` say."""
        for stream in self._stream_configs(self._source_config):
            if stream["name"] == name:
                return stream.get("$parameters", {}).get("access_help")  # type: ignore[no-any-return]
        return None

    def _start_afresh(self) -> LivePersonAccount:
        """A check or a sync starts knowing no host, no token and no host down, in an account its components share
        through the config the CDK gives them (which it has already written out by then)."""
        account = LivePersonAccount()
        self._config = {**self._config, ACCOUNT: account}
        return account

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Find the hosts, sign in, and read each stream the manifest's `check` names (one entry of the last hour, for
        the Agent Activity API): a failure names the step and what to do. The first, interval metrics, must be
        readable; where another is not (its method needs a permission of its own), the check succeeds and says so."""
        account = self._start_afresh()
        try:
            service_hosts.service_url(self._config, service_hosts.AGENT_ACTIVITY, account)
            service_hosts.service_url(self._config, service_hosts.SENTINEL, account)
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
        required, unreadable = next(iter(requesters)), []
        for name, requester in requesters.items():
            try:
                self._read_the_last_hour(requester, name)
            except AirbyteTracedException as error:
                said = _actionable(error.message, self._access_help(name))
                if name == required:
                    return AirbyteConnectionStatus(
                        status=Status.FAILED, message=f"Reading interval metrics failed: {said}"
                    )
                unreadable.append(f"{name} cannot be read: {said}")
        return AirbyteConnectionStatus(status=Status.SUCCEEDED, message=" ".join(unreadable) or None)

    def _requester_asking_for_one_entry(self, name: str) -> HttpRequester:
        """The stream's requester, as the manifest declares it (the interval streams' with a page size of one)."""
        (stream,) = [stream for stream in self._stream_configs(self._source_config) if stream["name"] == name]
        requester: HttpRequester = ModelToComponentFactory().create_component(
            CustomRequesterModel,
            stream["retriever"]["requester"],
            {**self._config, "page_size": 1},
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

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        self._start_afresh()
        self._refuse_unknown_streams(catalog)
        self._warn_about_unreadable_intervals(catalog, state or [])
        failures: dict[str, AirbyteErrorTraceMessage] = {}
        try:
            for message in self._read_the_catalog(catalog):
                error = message.trace.error if message.type == Type.TRACE and message.trace else None
                if error:
                    stream = error.stream_descriptor.name if error.stream_descriptor else ""
                    error.message = _actionable(error.message, self._access_help(stream))
                    if any(said.message == error.message for said in failures.values()):
                        if stream:
                            failures.setdefault(stream, error)
                        continue  # the same failure from another window or stream (an outage): said once
                    if stream:
                        failures.setdefault(stream, error)
                    if error.failure_type != FailureType.system_error:
                        error.stack_trace = None  # an expected condition, said in one line, not a bug
                yield message
        except AirbyteTracedException as error:
            if not failures:
                raise
            raise sync_failure(failures) from error

    def _read_the_catalog(self, catalog: ConfiguredAirbyteCatalog) -> Iterator[AirbyteMessage]:
        """The CDK's read, building only the streams the catalog selects (as its `check` does), not every stream, saying
        where it is (`ReadProgress`)."""
        names = [configured.stream.name for configured in catalog.streams]
        built = (self._streams_by_name(names) if names else None) or self.streams(config=self._config)
        selected = self._select_streams(streams=built, configured_catalog=catalog)
        progress = ReadProgress()
        for stream in selected:
            progress.follow(stream)
        try:
            for message in self._concurrent_source.read(selected) if selected else ():
                if message.type == Type.STATE and message.state and message.state.stream:
                    blob = message.state.stream.stream_state
                    saved = blob.__dict__ if blob is not None else {}
                    progress.saved(message.state.stream.stream_descriptor.name, saved)
                yield message
        finally:
            for line in progress.summary():
                self.logger.info(line)

    def _refuse_unknown_streams(self, catalog: ConfiguredAirbyteCatalog) -> None:
        known = self.stream_names
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
        cursor = self._source_config["definitions"]["incremental_sync"]
        for configured in catalog.streams:
            name = configured.stream.name
            if not name.endswith("_interval_metrics"):
                continue  # how long LivePerson keeps status changes is learned from its answers
            warning = retention.unreadable_warning(name, cursor, self._config, saved.get(name))
            if warning:
                self.logger.warning(warning)
