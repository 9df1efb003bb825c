"""Where a long read is: one INFO line per window read (its records, its range, the windows left), and at the end one
line per stream (the range read, the records, the state saved). The CDK says neither."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record

logger = logging.getLogger("airbyte")
NO_CURSOR = "__ab_no_cursor_state_message"  # the CDK's state of a full-refresh stream


class ReadProgress:
    """Follows the windows (the CDK's partitions) of the streams a read selects, and the states it saves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: Counter[str] = Counter()  # generated so far
        self._read: Counter[str] = Counter()  # read in full
        self._records: Counter[str] = Counter()
        self._ranges: dict[str, tuple[str, str]] = {}  # the earliest start and latest end of the windows read
        self._saved: dict[str, Mapping[str, Any]] = {}

    def follow(self, stream: AbstractStream) -> None:
        """Count the stream's windows as the CDK generates them, and say when each has been read."""
        generate = stream.generate_partitions

        def counted() -> Iterator[Partition]:
            for partition in generate():
                with self._lock:
                    self._windows[stream.name] += 1
                read = partition.read
                partition.read = lambda read=read, partition=partition: self._reading(partition, read())  # type: ignore[method-assign,misc]
                yield partition

        stream.generate_partitions = counted  # type: ignore[method-assign]

    def saved(self, stream: str, state: Mapping[str, Any]) -> None:
        with self._lock:
            self._saved[stream] = state

    def _reading(self, partition: Partition, records: Iterable[Record]) -> Iterator[Record]:
        count = 0
        for record in records:
            count += 1
            yield record
        window = partition.to_slice() or {}
        start, end = str(window.get("start_time", "")), str(window.get("end_time", ""))
        name = partition.stream_name()
        with self._lock:
            self._read[name] += 1
            self._records[name] += count
            left = self._windows[name] - self._read[name]
            if start and end:
                first, last = self._ranges.get(name, (start, end))
                self._ranges[name] = (min(first, start), max(last, end))
        where = f" from {start} to {end}" if start and end else ""
        logger.info(f"{name}: read {count} records{where}; {left} window(s) of the stream left.")

    def summary(self) -> list[str]:
        """One line per stream followed: the range read, the records, the state saved."""
        with self._lock:
            lines = []
            for name, windows in self._windows.items():
                first, last = self._ranges.get(name, ("", ""))
                what = f"{self._read[name]} of {windows} window(s)" + (f", {first} to {last}" if first else "")
                saved = dict(self._saved.get(name) or {})
                state = "none (full refresh)" if not saved or NO_CURSOR in saved else saved
                lines.append(f"{name}: read {what}, {self._records[name]} records; state saved: {state}.")
            return lines
