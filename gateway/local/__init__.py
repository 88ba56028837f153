"""A local SageMaker for Autopilot: moto's server with faithful AutoML operations.

Needs the ``local`` extra (moto[server]). Start one with :class:`LocalSageMaker`; its
``.autopilot`` store lets tests and seeds put jobs into any status. Its endpoint also serves S3,
with each completed candidate's reports (:data:`MAIN_REPORT_KEYS`: the one to link to).
"""

from gateway.local.reports import MAIN_REPORT_KEYS
from gateway.local.seed import DEMO_JOB_NAMES, DEMO_JOB_STATUSES, SEED_BASE_TIME, seed_demo_jobs
from gateway.local.server import LocalSageMaker
from gateway.local.store import LocalAutopilot

__all__ = [
    "DEMO_JOB_NAMES",
    "DEMO_JOB_STATUSES",
    "MAIN_REPORT_KEYS",
    "SEED_BASE_TIME",
    "LocalAutopilot",
    "LocalSageMaker",
    "seed_demo_jobs",
]
