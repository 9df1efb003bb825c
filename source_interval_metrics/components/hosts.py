"""Which host a request goes to: the config's `domain` when given, else the host LivePerson's Domain API names for the
account (asked on the first request that needs it, and cached), so that the manifest runs on its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from typing import Any

from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.requesters.request_options.interpolated_request_options_provider import (
    InterpolatedRequestOptionsProvider,
)
from airbyte_cdk.sources.types import StreamSlice, StreamState

from source_interval_metrics import service_hosts


@dataclass
class AgentActivityRequester(HttpRequester):
    """The manifest's HttpRequester at the account's Agent Activity host (`service_hosts.agent_activity_url`). It takes
    `request_parameters` and `request_headers` itself: the CDK hands a custom requester only the fields it declares."""

    parameters: InitVar[Mapping[str, Any]]
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    request_headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.request_options_provider = InterpolatedRequestOptionsProvider(
            config=self.config,
            request_parameters=dict(self.request_parameters),
            request_headers=dict(self.request_headers),
            parameters=parameters,
        )
        super().__post_init__(parameters)

    def get_url_base(
        self,
        *,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        return service_hosts.agent_activity_url(self.config)
