"""Scalars whose parse errors say what to send, instead of the parser's own exception text.

Strawberry's ``DateTime`` reports what ``dateutil`` raised ("invalid literal for int() with
base 10", "ISO string too short"): the gateway's says which format it expects. The scalar is
otherwise Strawberry's, so the schema and what it accepts stay the same.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import dateutil.parser
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

DATE_TIME_FORMAT = (
    'an ISO 8601 date and time, such as "2026-05-01T12:00:00Z" (or with an offset, '
    '"2026-05-01T14:00:00+02:00")'
)


def parse_date_time(value: object) -> datetime:
    if isinstance(value, str):
        try:
            parsed: datetime = dateutil.parser.isoparse(value)
            return parsed
        except (ValueError, OverflowError):
            pass
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise StrawberryInputCoercionError(f"A DateTime must be {DATE_TIME_FORMAT}, not {shown!r}.")
    raise StrawberryInputCoercionError(f"A DateTime must be a string: {DATE_TIME_FORMAT}.")


DATE_TIME: ScalarDefinition = dataclasses.replace(
    DateTimeDefinition, parse_value=parse_date_time, implementation=None
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: DATE_TIME}
