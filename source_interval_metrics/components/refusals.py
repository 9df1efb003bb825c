"""Metrics LivePerson refused for a stream's grouping, left out of that stream's requests for the rest of the sync."""

from __future__ import annotations

import logging
import threading
from typing import ClassVar

logger = logging.getLogger("airbyte")


class RefusedMetrics:
    """Per stream, the metrics LivePerson refused and why, and the requests sent again without them: shared by the
    error handler that hears a refusal, the backoff and the paginator, for the life of the process (one sync). One
    WARN per refused metric."""

    _refused: ClassVar[dict[str, dict[str, str]]] = {}  # stream -> metric -> LivePerson's reason
    _resends: ClassVar[dict[str, int]] = {}  # URL of a request sent again without refused metrics -> how often
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def add(cls, stream: str, metrics: tuple[str, ...], reason: str) -> None:
        with cls._lock:
            refused = cls._refused.setdefault(stream, {})
            for metric in metrics:
                if metric not in refused:
                    refused[metric] = reason
                    logger.warning(
                        f"{stream}: LivePerson refused the metric {metric} ({reason}); this stream goes on without "
                        f"it, and {metric} is null in its records."
                    )

    @classmethod
    def allowed(cls, stream: str, metrics: tuple[str, ...]) -> tuple[str, ...] | None:
        """`metrics` less the refused ones; None while none of them was refused."""
        with cls._lock:
            refused = cls._refused.get(stream, {})
            return tuple(metric for metric in metrics if metric not in refused) if refused else None

    @classmethod
    def resent(cls, before: str, after: str) -> None:
        """The request at `before` goes out again as `after`, without the metrics just refused."""
        with cls._lock:
            cls._resends[after] = cls._resends.pop(before, 0) + 1

    @classmethod
    def resends(cls, url: str) -> int:
        """How often the request at `url` went out again without refused metrics: not retries of an outage, which
        the CDK counts together with them."""
        with cls._lock:
            return cls._resends.get(url, 0)

    @classmethod
    def forget(cls) -> None:
        """For tests, which run many syncs in one process."""
        with cls._lock:
            cls._refused.clear()
            cls._resends.clear()
