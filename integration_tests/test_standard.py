"""Airbyte's standard connector tests, driven by acceptance-test-config.yml against the simulator."""

from __future__ import annotations

from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from source_interval_metrics import SourceIntervalMetrics
from source_interval_metrics.manifest import manifest

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]


class TestIntervalMetricsStandard(SourceTestSuiteBase):
    connector = SourceIntervalMetrics

    @classmethod
    def create_connector(cls, scenario: ConnectorTestScenario | None) -> SourceIntervalMetrics:
        """Built with the scenario's config, as the console script builds it (as the CDK's declarative suite does):
        a declarative source's streams follow from the config it is constructed with."""
        if scenario is None:
            return SourceIntervalMetrics(source_config=manifest())
        return SourceIntervalMetrics(
            config=scenario.get_config_dict(empty_if_missing=True, connector_root=cls.get_connector_root_dir()),
            source_config=manifest(),
        )
