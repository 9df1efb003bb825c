"""Entry point of the `source-interval-metrics` console script."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any, NoReturn

import orjson
from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, ConnectorSpecification, FailureType, Type
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics import config as config_rules
from source_interval_metrics import manifest as packaged
from source_interval_metrics.inputs import InputProblem
from source_interval_metrics.manifest import spec, spec_validations
from source_interval_metrics.source import SourceIntervalMetrics

logger = logging.getLogger("airbyte")


class IntervalMetricsEntrypoint(AirbyteEntrypoint):
    """The CDK's entrypoint, whose check of the config against the spec names the key and what it allows, and runs the
    spec's validations too, before anything is sent."""

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        try:
            config_rules.check(config, source_spec.connectionSpecification, spec_validations())
        except config_rules.ConfigProblem as problem:
            raise AirbyteTracedException(
                message=str(problem), internal_message=str(problem), failure_type=FailureType.config_error
            ) from None
        _, unknown = config_rules.unknown_keys(config, source_spec.connectionSpecification)
        if unknown:
            logger.warning(
                f"The config has keys this connector does not know, which it ignores: {', '.join(map(repr, unknown))}."
            )


def _print(message: AirbyteMessage) -> None:
    print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)


def _unreadable_input(error: Exception) -> AirbyteTracedException:
    """An error met while reading the config, catalog or state files: the user's to fix."""
    if isinstance(error, AirbyteTracedException):
        return error
    if isinstance(error, InputProblem):
        return AirbyteTracedException(
            message=str(error), internal_message=str(error), failure_type=FailureType.config_error
        )
    return AirbyteTracedException(
        message=f"The connector could not read its input: {filter_secrets(str(error))}",
        internal_message=filter_secrets(str(error)),
        failure_type=FailureType.config_error,
    )


def _exit_with(error: AirbyteTracedException) -> NoReturn:
    """One TRACE line and exit 1; the stack trace is kept for a bug (system error) only."""
    message = error.as_sanitized_airbyte_message()
    if message.trace and message.trace.error and error.failure_type != FailureType.system_error:
        message.trace.error.stack_trace = None
    _print(message)
    sys.exit(1)


class _ExpectedFailuresInOneLine(logging.Filter):
    """Drops the traceback the CDK logs with a stream's failure when that failure is expected (config, transient), and
    its note that a spec validation skipped an optional key left out (an empty setting is not news)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and str(record.msg).startswith(SKIPPED_VALIDATION):
            return False
        failure = record.exc_info[1] if record.exc_info else None
        if isinstance(failure, AirbyteTracedException) and failure.failure_type != FailureType.system_error:
            record.exc_info, record.exc_text = None, None
        return True


# The CDK hands every record from its worker threads to the main thread. With Python's default 5 ms GIL switch
# interval the threads spend much of their time handing the GIL over; 50 ms cut the CPU of a 61,000-record read
# by about a quarter on 2 cores, and made latency-bound reads faster too (see bench/ and the README).
GIL_SWITCH_INTERVAL = 0.05
STOP_TIMEOUT = 2.0  # seconds an interrupted process waits to flush what it emitted


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
SKIPPED_VALIDATION = "Validation skipped. Key not found"  # the CDK's DpathValidator, for a key left out


def main() -> None:
    """The console script. Ctrl-C (SIGINT) and SIGTERM end it within moments, without a traceback, after what was
    emitted is flushed in whole lines. Both are blocked in every thread and taken by one watcher thread: a Python
    handler runs only in the main thread, which may be blocked writing to a full pipe while a worker thread takes the
    signal, and Python's own KeyboardInterrupt would leave the CDK's worker threads holding the process."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # before any thread starts: they inherit the mask
    threading.Thread(target=_stop_on_signal, name="stop-on-signal", daemon=True).start()
    run()


def _stop_on_signal() -> None:
    code = 128 + signal.sigwait(STOP_SIGNALS)
    if PRINT_BUFFER.lock.acquire(timeout=STOP_TIMEOUT):  # after the flush in progress, if any
        try:
            PRINT_BUFFER.flush()
        except Exception:  # nothing more can be said: the process is ending
            pass
    os._exit(code)


def run() -> None:
    """The connector's verbs, as the console script runs them (tests call this in-process)."""
    _run(sys.argv[1:])


def _run(args: list[str]) -> None:
    if args == ["spec"]:  # the manifest's spec alone: no source to build
        _print(AirbyteMessage(type=Type.SPEC, spec=spec().generate_spec()))
        return
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    try:
        catalog, config, state = (
            AirbyteEntrypoint.extract_catalog(args),
            AirbyteEntrypoint.extract_config(args),
            AirbyteEntrypoint.extract_state(args),
        )
        source = SourceIntervalMetrics(
            SourceIntervalMetrics.read_catalog(catalog) if catalog else None,
            SourceIntervalMetrics.read_config(config) if config else None,
            SourceIntervalMetrics.read_state(state) if state else None,
            source_config=packaged.manifest(),
        )
    except Exception as error:
        _exit_with(_unreadable_input(error))
    entrypoint = IntervalMetricsEntrypoint(source)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_ExpectedFailuresInOneLine())
    try:
        with PRINT_BUFFER:
            for line in entrypoint.run(entrypoint.parse_args(args)):
                print(f"{line}\n", end="")
    except AirbyteTracedException as error:
        _exit_with(error)
    except Exception as error:  # a bug in the connector: a system error, with its stack trace for the report
        _exit_with(AirbyteTracedException.from_exception(error, message=f"The connector failed: {error!r}"))


if __name__ == "__main__":
    main()
