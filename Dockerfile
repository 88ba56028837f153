# syntax=docker/dockerfile:1

# GraphiQL's browser bundles, from npm, by the same script as `make assets`.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/build-graphiql-assets ./scripts/
RUN scripts/build-graphiql-assets --omit=dev

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/gateway
COPY pyproject.toml README.md MANIFEST.in ./
COPY gateway ./gateway
COPY --from=assets /src/gateway/graphiql/vendor ./gateway/graphiql/vendor
RUN /opt/gateway/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/opt/gateway/bin:$PATH PYTHONUNBUFFERED=1
COPY --from=build /opt/gateway /opt/gateway
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["python", "-m", "gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
