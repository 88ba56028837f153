# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/gateway
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN /opt/gateway/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/opt/gateway/bin:$PATH PYTHONUNBUFFERED=1
COPY --from=build /opt/gateway /opt/gateway
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["python", "-m", "gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
