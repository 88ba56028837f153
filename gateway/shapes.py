"""Plain data shared by every layer: SageMaker's structures as botocore gives them."""

from __future__ import annotations

from typing import Any, TypeAlias

AWS: TypeAlias = dict[str, Any]
"""A SageMaker request, response or member structure (botocore's parsed JSON, with
datetimes): keys are AWS's member names, and botocore drops members that are null."""
