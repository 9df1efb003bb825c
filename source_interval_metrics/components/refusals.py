"""Metrics LivePerson refused for a stream's grouping, left out of that stream's requests for the rest of the sync."""

from __future__ import annotations

import logging
import threading
from typing import ClassVar

logger = logging.getLogger("airbyte")


class RefusedMetrics:
    """Per stream, the metrics LivePerson refused and why: shared by the error handler that hears the refusal and the
    paginator that starts every window, for the life of the process (one sync). One WARN per refused metric."""

    _refused: ClassVar[dict[str, dict[str, str]]] = {}  # stream -> metric -> LivePerson's reason
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
    def forget(cls) -> None:
        """For tests, which run many syncs in one process."""
        with cls._lock:
            cls._refused.clear()
