# syntax=docker/dockerfile:1

# The gateway's image, in three stages: GraphiQL's browser files from npm, the gateway and its
# dependencies in a virtual environment, and a slim runtime that holds only that environment
# and runs it as an unprivileged user. tests/test_dockerfile.py lints this file with hadolint
# and builds the virtual environment by running the build stage's own commands.
#
#   docker build -t autopilot-gateway .
#   docker run --rm -p 8000:8000 --read-only --tmpfs /tmp \
#     -e GATEWAY_JWT_ISSUER=... -e GATEWAY_JWT_AUDIENCE=... autopilot-gateway

# GraphiQL's browser bundles, by the same script as `make assets` (--omit=dev skips the
# browser test's driver).
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/build-graphiql-assets ./scripts/
RUN scripts/build-graphiql-assets --omit=dev

# The gateway in a virtual environment, at the path it keeps in the runtime image. Wheels only:
# nothing is compiled, and a dependency without a wheel fails the build instead of needing a
# compiler. No pip cache is kept.
FROM python:3.11-slim-bookworm AS build
ENV PATH=/opt/gateway/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
RUN python -m venv /opt/gateway
# The dependencies first, from the lock (requirements/main.txt: exact versions with their
# hashes, nothing resolved here), so that this layer is only rebuilt when the lock changes.
COPY requirements/main.txt ./requirements/
RUN python -m pip install --no-cache-dir --only-binary=:all: --no-deps --require-hashes \
        --requirement requirements/main.txt
# Then the code, with GraphiQL's files: `pip install .` installs the gateway without extras
# (the local SageMaker's moto stays out), built by the locked setuptools (no build isolation,
# so nothing is fetched), and `pip check` proves the lock satisfies pyproject.toml. pip
# compiles the bytecode here, so the read-only runtime never writes any. pip and setuptools
# leave the environment: nothing is installed at run time.
COPY pyproject.toml README.md MANIFEST.in LICENSE ./
COPY gateway ./gateway
COPY --from=assets /src/gateway/graphiql/vendor ./gateway/graphiql/vendor
RUN python -m pip install --no-cache-dir --no-deps --no-build-isolation . \
    && python -m pip check \
    && python -m pip uninstall --yes pip setuptools

# The runtime: Python, the virtual environment, and nothing to build or install with.
FROM python:3.11-slim-bookworm
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Autopilot Gateway" \
      org.opencontainers.image.description="A GraphQL gateway over Amazon SageMaker Autopilot jobs and their candidate models" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim-bookworm"
# The gateway's user, with the fixed IDs that Kubernetes' runAsUser, runAsGroup and fsGroup
# name (the Helm chart's defaults). The base image's pip, setuptools and wheel go.
RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin gateway \
    && python -m pip uninstall --yes --root-user-action=ignore pip setuptools wheel
# Owned by root: the gateway's user can read its code, not change it.
COPY --from=build /opt/gateway /opt/gateway
# No bytecode or caches are written at run time, so the root filesystem may be read-only (only
# /tmp needs to be writable); the working directory never shadows an installed module.
ENV PATH=/opt/gateway/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONSAFEPATH=1
USER 10001:10001
EXPOSE 8000
# For Docker and Compose; Kubernetes ignores it and uses the chart's probes (/healthz, /readyz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
# Every setting comes from GATEWAY_* variables, uvicorn's included (GATEWAY_WORKERS,
# GATEWAY_KEEP_ALIVE_SECONDS, GATEWAY_FORWARDED_ALLOW_IPS, GATEWAY_SHUTDOWN_GRACE_SECONDS).
ENTRYPOINT ["python", "-m", "gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
