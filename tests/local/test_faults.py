"""Faults the local SageMaker answers with on request: for a number of calls or a time window."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.local import LocalSageMaker
from gateway.local.faults import Faults


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def faults(server: LocalSageMaker) -> Iterator[Faults]:
    server.autopilot.faults.clear()
    yield server.autopilot.faults
    server.autopilot.faults.clear()


def throttled(call: Any) -> bool:
    try:
        call()
    except ClientError as error:
        assert error.response["Error"] == {
            "Code": "ThrottlingException",
            "Message": "Rate exceeded",
        }
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return True
    return False


def test_a_count_of_calls_is_throttled_then_answered(sagemaker: Any, faults: Faults) -> None:
    faults.throttle("ListCandidatesForAutoMLJob", times=2)
    describe = partial(sagemaker.describe_auto_ml_job_v2, AutoMLJobName="fraud-detection-auc")
    list_candidates = partial(
        sagemaker.list_candidates_for_auto_ml_job, AutoMLJobName="customer-churn-xgb"
    )
    assert not throttled(describe)  # another operation
    assert [throttled(list_candidates) for _ in range(3)] == [True, True, False]


def test_every_call_of_a_window_is_throttled(sagemaker: Any, faults: Faults) -> None:
    faults.throttle(for_seconds=1.0)
    started = time.monotonic()
    describe = partial(sagemaker.describe_auto_ml_job_v2, AutoMLJobName="fraud-detection-auc")
    answers = [throttled(describe)]
    while time.monotonic() - started < 0.5:
        answers.append(throttled(describe))
    assert all(answers)
    time.sleep(max(0.0, started + 1.1 - time.monotonic()))
    assert not throttled(describe)


def test_a_window_ends_by_the_clock_and_a_count_ends_it_sooner() -> None:
    clock = ManualClock()
    faults = Faults(clock=clock)
    faults.inject(
        "DescribeAutoMLJobV2", code="InternalFailure", status=500, times=None, for_seconds=2
    )
    faults.throttle("ListAutoMLJobs", times=1, for_seconds=2)
    assert faults.take("DescribeAutoMLJobV2") is not None
    assert faults.take("ListAutoMLJobs") is not None
    assert faults.take("ListAutoMLJobs") is None  # its one call is used up
    clock.now += 1.9
    fault = faults.take("DescribeAutoMLJobV2")
    assert fault is not None and fault.response()[0] == 500
    clock.now += 0.1
    assert faults.take("DescribeAutoMLJobV2") is None
    assert faults.injected == 3


def test_a_fault_must_end_somehow() -> None:
    with pytest.raises(ValueError, match="number of calls"):
        Faults().inject(times=None)
