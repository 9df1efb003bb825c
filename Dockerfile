# The connector image, after Airbyte's Python connector template: the base image pinned by digest, the project
# installed as a wheel with its locked runtime dependencies only, run as the non-root `airbyte` user.
# Where the pinned base cannot be pulled, build with --build-arg BASE_IMAGE=<scripts/standin-base.sh's tag>.
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73
FROM ${BASE_IMAGE}

WORKDIR /airbyte/integration_code

COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md manifest.yaml ./
COPY schemas ./schemas
COPY source_interval_metrics ./source_interval_metrics
RUN pip wheel --no-cache-dir --no-deps --wheel-dir dist . \
    && pip install --no-cache-dir --no-deps dist/*.whl \
    && rm -rf dist

LABEL io.airbyte.name=airbyte/source-interval-metrics
LABEL io.airbyte.version=0.4.0

ENV AIRBYTE_ENTRYPOINT="source-interval-metrics"
ENTRYPOINT ["source-interval-metrics"]

# The base image defines the non-root `airbyte` user that Airbyte's connector template runs as.
# hadolint ignore=DL3066
USER airbyte
