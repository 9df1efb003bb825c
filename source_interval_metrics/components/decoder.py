"""The roster's get-all answers: one JSON array, decoded item by item as it streams in."""

from __future__ import annotations

import io
from collections.abc import Generator, Mapping, MutableMapping
from dataclasses import InitVar, dataclass
from typing import Any

import ijson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.decoders.decoder import Decoder
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

PEEK = 64 * 1024  # bytes read ahead to see that the body is an array


class _Prefixed(io.RawIOBase):
    """The bytes read ahead, then the rest of the stream."""

    def __init__(self, start: bytes, rest: Any) -> None:
        super().__init__()
        self._start, self._rest = start, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._start:
            size = min(len(self._start), len(buffer))
            buffer[:size], self._start = self._start[:size], self._start[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class JsonArrayItemsDecoder(Decoder):
    """Each item of a body that is one JSON array, parsed as the body streams in, so that a large account's users are
    never held as one list (the CDK's `JsonItemsDecoder` takes a nested array only); a body that is not an array is a
    transient error naming the stream (`$parameters.name`)."""

    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._stream = str(parameters.get("name", "the list"))

    def is_stream_response(self) -> bool:
        return True

    def decode(self, response: requests.Response) -> Generator[MutableMapping[str, Any], None, None]:
        if getattr(response, "_content_consumed", False) or response.raw is None:
            body: Any = io.BytesIO(response.content)
        else:
            response.raw.decode_content = True  # gzip and deflate undone as the bytes come
            body = response.raw
        start = body.read(PEEK)
        if not start.lstrip().startswith(b"["):
            seen = start.strip()[:40].decode("utf-8", "replace")
            raise self._unusable(f"a body that starts {seen!r}" if seen else "an empty body")
        try:
            yield from ijson.items(io.BufferedReader(_Prefixed(start, body)), "item", use_float=True)
        except ijson.JSONError as error:
            said = (str(error).splitlines() or [""])[0].strip()
            raise self._unusable(f"a body that is cut off or not JSON ({said})") from None

    def _unusable(self, found: str) -> AirbyteTracedException:
        return AirbyteTracedException(
            message=f"LivePerson answered {self._stream} with {found} where the list of all items belongs. Try the "
            "sync again later.",
            failure_type=FailureType.transient_error,
        )
