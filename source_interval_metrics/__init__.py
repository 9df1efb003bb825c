"""Airbyte source connector for LivePerson Interval Metrics."""

from source_interval_metrics.source import SourceIntervalMetrics

__all__ = ["SourceIntervalMetrics"]
