"""Several gateways sharing one Redis, as replicas behind a load balancer: spread round-robin."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx

from gateway.settings import Settings
from gateway.shared.connection import REDIS_COMMANDS
from tests.gateway_server import GraphQLClient, running_gateway

# What a frontend's leaderboard asks: ten jobs, each with its best candidate and a first page.
LEADERBOARD = """{
  autoMLJobs(first: 10) { edges { node {
    autoMLJobName autoMLJobStatus creationTime
    bestCandidate { candidateName creationTime finalAutoMLJobObjectiveMetric { metricName value } }
    candidates(first: 10) { edges { node { candidateName candidateStatus endTime } } }
  } } }
}"""


class Fleet:
    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.replicas = [GraphQLClient(url) for url in urls]
        self._next = itertools.cycle(range(len(urls)))

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a query sent to the next replica."""
        return self.replicas[next(self._next)].data(query, **variables)

    def async_clients(self) -> list[httpx.AsyncClient]:
        return [httpx.AsyncClient(base_url=url, timeout=30) for url in self.urls]


@contextmanager
def fleet(settings: Settings, replicas: int = 3) -> Iterator[Fleet]:
    with ExitStack() as stack:
        urls = [stack.enter_context(running_gateway(settings)) for _ in range(replicas)]
        yield Fleet(urls)


def redis_commands(outcome: str, purpose: str | None = None) -> int:
    """Redis commands of every replica in this process so far with ``outcome`` (and
    ``purpose``, when given)."""
    return int(
        sum(
            sample.value
            for metric in REDIS_COMMANDS.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
            and sample.labels["outcome"] == outcome
            and purpose in (None, sample.labels["purpose"])
        )
    )
