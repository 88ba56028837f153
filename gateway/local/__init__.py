"""A local SageMaker for Autopilot: moto's server with faithful AutoML operations.

Needs the ``local`` extra (moto[server]). Start one with :class:`LocalSageMaker`; its
``.autopilot`` store lets tests and seeds put jobs into any status; a job tagged
:data:`DURATION_TAG` runs in wall-clock time. Its endpoint also serves S3,
with each completed candidate's reports (:data:`MAIN_REPORT_KEYS`: the one to link to).
"""

from gateway.local.live_runs import DURATION_TAG
from gateway.local.reports import MAIN_REPORT_KEYS
from gateway.local.seed import (
    DEMO_JOB_NAMES,
    DEMO_JOB_STATUSES,
    LIVE_DEMO_JOB,
    SEED_BASE_TIME,
    seed_demo_jobs,
    seed_live_demo_job,
)
from gateway.local.server import LocalSageMaker
from gateway.local.store import LocalAutopilot

__all__ = [
    "DEMO_JOB_NAMES",
    "DEMO_JOB_STATUSES",
    "DURATION_TAG",
    "LIVE_DEMO_JOB",
    "MAIN_REPORT_KEYS",
    "SEED_BASE_TIME",
    "LocalAutopilot",
    "LocalSageMaker",
    "seed_demo_jobs",
    "seed_live_demo_job",
]
