"""moto's SageMaker front end with faithful Autopilot operations.

:class:`LocalSageMakerResponse` subclasses moto's ``SageMakerResponse`` and answers the AutoML
operations from a :class:`~gateway.local.store.LocalAutopilot`; every other SageMaker action is
moto's. :func:`create_app` builds moto's Flask app for a service and, for SageMaker, swaps the
view that dispatches actions — nothing in moto is patched globally.
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionContext, ActionResult, EmptyResult
from moto.core.utils import convert_to_flask_response
from moto.moto_server.werkzeug_app import create_backend_app
from moto.sagemaker.responses import SageMakerResponse

from gateway.local.store import LocalAutopilot

SAGEMAKER_VIEW = "SageMakerResponse.dispatch"
"""The Flask endpoint moto registers for SageMaker's JSON-protocol actions."""


def _json_default(value: object) -> float:
    if isinstance(value, datetime):  # JSON-protocol timestamps are epoch seconds
        return calendar.timegm(value.utctimetuple()) + value.microsecond // 1000 / 1000
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class WireResult(ActionResult):
    """A result that already has the output shape's form, JSON-encoded as it is.

    moto's serializer walks the output shape for every value (about 0.7 ms per candidate, so a
    page of 100 candidates took ~70 ms); the store builds shape-exact dicts, which the tests
    check member by member on the raw JSON.
    """

    def execute_result(self, context: ActionContext) -> TYPE_RESPONSE:
        status, headers, _ = ActionResult({}).execute_result(context)
        body = json.dumps(self.result, default=_json_default, separators=(",", ":"))
        return status, headers, body


class LocalSageMakerResponse(SageMakerResponse):
    """SageMaker actions; the AutoML ones are served by a LocalAutopilot."""

    def __init__(self, autopilot: LocalAutopilot) -> None:
        super().__init__()
        self.autopilot = autopilot

    def _answer(self, operation: Callable[..., dict[str, Any]]) -> ActionResult:
        """Run a store operation on this request, in the caller's account and region."""
        return WireResult(
            operation(self.params, account_id=self.current_account, region=self.region)
        )

    def create_auto_ml_job(self) -> ActionResult:
        return self._answer(self.autopilot.create_auto_ml_job)

    def create_auto_ml_job_v2(self) -> ActionResult:
        return self._answer(self.autopilot.create_auto_ml_job_v2)

    def describe_auto_ml_job(self) -> ActionResult:
        return self._answer(self.autopilot.describe_auto_ml_job)

    def describe_auto_ml_job_v2(self) -> ActionResult:
        return self._answer(self.autopilot.describe_auto_ml_job_v2)

    def list_auto_ml_jobs(self) -> ActionResult:
        return self._answer(self.autopilot.list_auto_ml_jobs)

    def list_candidates_for_auto_ml_job(self) -> ActionResult:
        return self._answer(self.autopilot.list_candidates_for_auto_ml_job)

    def stop_auto_ml_job(self) -> ActionResult:
        self._answer(self.autopilot.stop_auto_ml_job)
        return EmptyResult()


def create_app(service: str, autopilot: LocalAutopilot) -> Flask:
    """moto's app for ``service``; SageMaker's actions go to a LocalSageMakerResponse.

    Pass it to ``DomainDispatcherApplication`` with the store bound, e.g. via
    ``functools.partial(create_app, autopilot=store)``.
    """
    app = create_backend_app(service)  # type: ignore[arg-type]
    if service == "sagemaker":
        if SAGEMAKER_VIEW not in app.view_functions:
            raise RuntimeError(f"moto's SageMaker app has no {SAGEMAKER_VIEW!r} view to replace")

        def dispatch(request: Any, full_url: str, headers: Any) -> Any:
            operation = str(request.headers.get("X-Amz-Target", "")).rpartition(".")[2]
            fault = autopilot.faults.take(operation)
            if fault is not None:
                time.sleep(fault.delay_seconds)
                if fault.code:
                    return fault.response()
            return LocalSageMakerResponse(autopilot)._dispatch(request, full_url, headers)

        dispatch.__name__ = "dispatch"
        app.view_functions[SAGEMAKER_VIEW] = convert_to_flask_response(dispatch)
    return app
