"""Airbyte's standard connector tests, driven by acceptance-test-config.yml against the simulator."""

from __future__ import annotations

from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from source_interval_metrics import SourceIntervalMetrics

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]


class TestIntervalMetricsStandard(SourceTestSuiteBase):
    connector = SourceIntervalMetrics
