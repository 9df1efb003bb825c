"""The few components the manifest cannot express declaratively; each does one job."""

from source_interval_metrics.components.auth import OAuth1Authenticator, SentinelClientCredentials
from source_interval_metrics.components.errors import LivePersonBackoff, LivePersonResponseCodes
from source_interval_metrics.components.paging import NextPageKeyOrNextRef
from source_interval_metrics.components.records import IntervalRecordExtractor, IntervalStartInWindowFilter
from source_interval_metrics.components.state import AlignStateToIntervalBoundary

__all__ = [
    "AlignStateToIntervalBoundary",
    "IntervalRecordExtractor",
    "IntervalStartInWindowFilter",
    "LivePersonBackoff",
    "LivePersonResponseCodes",
    "NextPageKeyOrNextRef",
    "OAuth1Authenticator",
    "SentinelClientCredentials",
]
