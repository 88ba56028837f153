"""Demo Autopilot jobs for the local SageMaker.

Jobs are created through the same store methods the API uses (so a seeded job is exactly what
CreateAutoMLJob/CreateAutoMLJobV2 would have made), at fixed times before ``SEED_BASE_TIME`` so
every run shows the same data, and then moved to their demo status. Together they cover every
problem type, every job status, and every member of the ``AutoMLCandidate`` shape; one job is
a later, smaller rerun of another (same data, problem and objective) to compare against.

``make serve`` adds one job that runs in wall-clock time (:func:`seed_live_demo_job`), so its
leaderboard fills while one watches; the fixed demo jobs never change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from gateway.local.jobs import JobStatus
from gateway.local.live_runs import DURATION_TAG
from gateway.local.store import LocalAutopilot
from gateway.shapes import AWS

SEED_BASE_TIME: Final = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

DEMO_JOB_STATUSES: Final[dict[str, JobStatus]] = {
    "customer-churn-xgb": "Completed",
    "fraud-detection-auc": "InProgress",
    "house-prices-regression": "Failed",
    "support-ticket-priority": "Stopped",
    "demand-forecast-weekly": "Completed",
    "support-ticket-routing": "Completed",
    "product-image-classifier": "Completed",
    "house-prices-baseline": "Stopping",
    "customer-churn-xgb-rerun": "Completed",
}
DEMO_JOB_NAMES: Final[tuple[str, ...]] = tuple(DEMO_JOB_STATUSES)

_FAILURE_REASONS: Final[dict[str, str]] = {
    "house-prices-regression": (
        "CapacityError: Unable to provision requested ML compute capacity for the candidate "
        "training jobs. Please retry the AutoML job later or request a limit increase."
    ),
}


def _s3(region: str, path: str) -> str:
    return f"s3://acme-ml-{region}/autopilot/{path}"


def _role(account_id: str) -> str:
    return (
        f"arn:aws:iam::{account_id}:role/service-role/AmazonSageMaker-ExecutionRole-20260311T091532"
    )


def _channel(uri: str, content_type: str = "text/csv;header=present") -> AWS:
    return {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
        "ContentType": content_type,
        "CompressionType": "None",
        "ChannelType": "training",
    }


def _tags(team: str) -> list[dict[str, str]]:
    return [{"Key": "team", "Value": team}, {"Key": "env", "Value": "demo"}]


def _churn(name: str, account_id: str, region: str, max_candidates: int | None) -> AWS:
    """The churn job's request; a rerun is the same job with another name and candidate count."""
    completion: AWS = {"MaxRuntimePerTrainingJobInSeconds": 3600}
    if max_candidates is not None:  # None: AWS's default of 250 applies
        completion["MaxCandidates"] = max_candidates
    return {
        "AutoMLJobName": name,
        "InputDataConfig": [
            {
                **_channel(_s3(region, "customer-churn/train/churn_2026q3.csv")),
                "TargetAttributeName": "churned",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": _s3(region, "customer-churn/output")},
        "ProblemType": "BinaryClassification",
        "AutoMLJobObjective": {"MetricName": "F1"},
        "AutoMLJobConfig": {
            "CompletionCriteria": completion,
            "CandidateGenerationConfig": {"AlgorithmsConfig": [{"AutoMLAlgorithms": ["xgboost"]}]},
            "DataSplitConfig": {"ValidationFraction": 0.2},
            "Mode": "HYPERPARAMETER_TUNING",
        },
        "RoleArn": _role(account_id),
        "Tags": _tags("retention"),
    }


def _v1_requests(account_id: str, region: str) -> dict[str, AWS]:
    return {
        "customer-churn-xgb": {
            **_churn("customer-churn-xgb", account_id, region, None),
            "ModelDeployConfig": {"AutoGenerateEndpointName": True},
        },
        "customer-churn-xgb-rerun": _churn("customer-churn-xgb-rerun", account_id, region, 60),
        "house-prices-regression": {
            "AutoMLJobName": "house-prices-regression",
            "InputDataConfig": [
                {
                    **_channel(_s3(region, "house-prices/train/")),
                    "TargetAttributeName": "sale_price",
                }
            ],
            "OutputDataConfig": {"S3OutputPath": _s3(region, "house-prices/output")},
            "ProblemType": "Regression",
            "AutoMLJobObjective": {"MetricName": "RMSE"},
            "AutoMLJobConfig": {"CompletionCriteria": {"MaxCandidates": 60}},
            "RoleArn": _role(account_id),
            "Tags": _tags("pricing"),
        },
        "house-prices-baseline": {
            "AutoMLJobName": "house-prices-baseline",
            "InputDataConfig": [
                {
                    **_channel(_s3(region, "house-prices/train/")),
                    "TargetAttributeName": "sale_price",
                }
            ],
            "OutputDataConfig": {"S3OutputPath": _s3(region, "house-prices/baseline-output")},
            "ProblemType": "Regression",
            "AutoMLJobObjective": {"MetricName": "MSE"},
            "AutoMLJobConfig": {"CompletionCriteria": {"MaxCandidates": 20}},
            "RoleArn": _role(account_id),
        },
    }


def _v2_requests(account_id: str, region: str) -> dict[str, AWS]:
    return {
        "fraud-detection-auc": {
            "AutoMLJobName": "fraud-detection-auc",
            "AutoMLJobInputDataConfig": [_channel(_s3(region, "fraud/train/transactions.csv"))],
            "OutputDataConfig": {"S3OutputPath": _s3(region, "fraud/output")},
            "AutoMLProblemTypeConfig": {
                "TabularJobConfig": {
                    "CompletionCriteria": {"MaxCandidates": 120},
                    "Mode": "ENSEMBLING",
                    "ProblemType": "BinaryClassification",
                    "TargetAttributeName": "is_fraud",
                    "SampleWeightAttributeName": "txn_weight",
                }
            },
            "AutoMLJobObjective": {"MetricName": "AUC"},
            "RoleArn": _role(account_id),
            "Tags": _tags("risk"),
            "DataSplitConfig": {"ValidationFraction": 0.15},
        },
        "support-ticket-priority": {
            "AutoMLJobName": "support-ticket-priority",
            "AutoMLJobInputDataConfig": [_channel(_s3(region, "support/priority/train.csv"))],
            "OutputDataConfig": {"S3OutputPath": _s3(region, "support/priority/output")},
            "AutoMLProblemTypeConfig": {
                "TabularJobConfig": {
                    "CompletionCriteria": {"MaxCandidates": 40},
                    "ProblemType": "MulticlassClassification",
                    "TargetAttributeName": "priority",
                }
            },
            "AutoMLJobObjective": {"MetricName": "F1macro"},
            "RoleArn": _role(account_id),
        },
        "demand-forecast-weekly": {
            "AutoMLJobName": "demand-forecast-weekly",
            "AutoMLJobInputDataConfig": [_channel(_s3(region, "demand/train/weekly_sales.csv"))],
            "OutputDataConfig": {"S3OutputPath": _s3(region, "demand/output")},
            "AutoMLProblemTypeConfig": {
                "TimeSeriesForecastingJobConfig": {
                    "ForecastFrequency": "W",
                    "ForecastHorizon": 12,
                    "ForecastQuantiles": ["p10", "p50", "p90"],
                    "TimeSeriesConfig": {
                        "TargetAttributeName": "units_sold",
                        "TimestampAttributeName": "week_start",
                        "ItemIdentifierAttributeName": "sku",
                        "GroupingAttributeNames": ["store_id"],
                    },
                    "HolidayConfig": [{"CountryCode": "US"}],
                }
            },
            "RoleArn": _role(account_id),
            "Tags": _tags("supply-chain"),
        },
        "support-ticket-routing": {
            "AutoMLJobName": "support-ticket-routing",
            "AutoMLJobInputDataConfig": [_channel(_s3(region, "support/routing/tickets.csv"))],
            "OutputDataConfig": {"S3OutputPath": _s3(region, "support/routing/output")},
            "AutoMLProblemTypeConfig": {
                "TextClassificationJobConfig": {
                    "ContentColumn": "ticket_body",
                    "TargetLabelColumn": "queue",
                }
            },
            "RoleArn": _role(account_id),
        },
        "product-image-classifier": {
            "AutoMLJobName": "product-image-classifier",
            "AutoMLJobInputDataConfig": [
                _channel(_s3(region, "catalog/images/train/"), content_type="image/*")
            ],
            "OutputDataConfig": {"S3OutputPath": _s3(region, "catalog/images/output")},
            "AutoMLProblemTypeConfig": {
                "ImageClassificationJobConfig": {"CompletionCriteria": {"MaxCandidates": 1}}
            },
            "RoleArn": _role(account_id),
            "Tags": _tags("catalog"),
        },
    }


_CREATED_BEFORE_BASE: Final[dict[str, timedelta]] = {
    "customer-churn-xgb": timedelta(days=6, hours=3),
    "house-prices-regression": timedelta(days=4, hours=7),
    "support-ticket-priority": timedelta(days=3, hours=2),
    "demand-forecast-weekly": timedelta(days=2, hours=5),
    "support-ticket-routing": timedelta(days=1, hours=6),
    "product-image-classifier": timedelta(hours=20),
    "fraud-detection-auc": timedelta(hours=5),
    "house-prices-baseline": timedelta(hours=2),
    "customer-churn-xgb-rerun": timedelta(days=1, hours=9),
}


def seed_demo_jobs(
    autopilot: LocalAutopilot,
    *,
    base_time: datetime = SEED_BASE_TIME,
    account_id: str | None = None,
    region: str | None = None,
) -> list[str]:
    """Create the demo jobs that do not exist yet (so seeding twice is harmless).

    Returns the names of the jobs created by this call.
    """
    account_id = account_id or autopilot.default_account_id
    region = region or autopilot.default_region
    scope = {"account_id": account_id, "region": region}
    created = []
    v1, v2 = _v1_requests(account_id, region), _v2_requests(account_id, region)
    for name, status in DEMO_JOB_STATUSES.items():
        if autopilot.has_job(name, **scope):
            continue
        when = base_time - _CREATED_BEFORE_BASE[name]
        if name in v1:
            autopilot.create_auto_ml_job(v1[name], now=when, **scope)
        else:
            autopilot.create_auto_ml_job_v2(v2[name], now=when, **scope)
        if status != "Completed":
            autopilot.set_job_status(name, status, _FAILURE_REASONS.get(name), **scope)
        created.append(name)
    return created


LIVE_DEMO_JOB: Final = "loan-default-live"
LIVE_DEMO_DURATION: Final = timedelta(minutes=12)
LIVE_DEMO_HEAD_START: Final = timedelta(minutes=2)
"""How long before seeding the live demo job was created: its first candidates are training
(and about to finish) from the start, and about ten minutes of its run remain."""


def _live_demo_request(account_id: str, region: str) -> AWS:
    seconds = str(int(LIVE_DEMO_DURATION.total_seconds()))
    return {
        "AutoMLJobName": LIVE_DEMO_JOB,
        "AutoMLJobInputDataConfig": [_channel(_s3(region, "loans/train/applications.csv"))],
        "OutputDataConfig": {"S3OutputPath": _s3(region, "loans/output")},
        "AutoMLProblemTypeConfig": {
            "TabularJobConfig": {
                "CompletionCriteria": {"MaxCandidates": 100},
                "Mode": "HYPERPARAMETER_TUNING",
                "ProblemType": "BinaryClassification",
                "TargetAttributeName": "defaulted",
            }
        },
        "AutoMLJobObjective": {"MetricName": "AUC"},
        "ModelDeployConfig": {"AutoGenerateEndpointName": True},
        "RoleArn": _role(account_id),
        "Tags": [*_tags("risk"), {"Key": DURATION_TAG, "Value": seconds}],
    }


def seed_live_demo_job(
    autopilot: LocalAutopilot, *, account_id: str | None = None, region: str | None = None
) -> bool:
    """Create the live demo job unless it exists; whether this call created it."""
    account_id = account_id or autopilot.default_account_id
    region = region or autopilot.default_region
    if autopilot.has_job(LIVE_DEMO_JOB, account_id=account_id, region=region):
        return False
    autopilot.create_auto_ml_job_v2(
        _live_demo_request(account_id, region),
        now=autopilot.now() - LIVE_DEMO_HEAD_START,
        account_id=account_id,
        region=region,
    )
    return True
