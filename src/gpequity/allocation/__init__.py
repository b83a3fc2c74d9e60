"""The eFIT allocation engine: split an amount across an ICB's practices by need, exactly.

No I/O: callers pass the practices and the request, and get an :class:`AllocationResult`.
See ``docs/allocation-method.md`` for the method in plain English.
"""

from gpequity.allocation.engine import (
    CLASSIC_REMAINDER_ID,
    MAX_AMOUNT_DIGITS,
    MAX_COMPONENTS,
    METHOD_LABELS,
    NO_IMD_LABEL,
    QUINTILE_LABELS,
    allocate,
    validate_request,
)

# The request and result types, all of them (``models.__all__`` lists them once).
from gpequity.allocation.models import *  # noqa: F403
from gpequity.allocation.models import __all__ as _MODELS
from gpequity.allocation.rounding import PENCE, round_largest_remainder, round_pence, share_out
from gpequity.allocation.upload import (
    UploadedColumn,
    UploadProblem,
    UploadResult,
    parse_indicator_upload,
)

__all__ = [
    "CLASSIC_REMAINDER_ID",
    "MAX_AMOUNT_DIGITS",
    "MAX_COMPONENTS",
    "METHOD_LABELS",
    "NO_IMD_LABEL",
    "PENCE",
    "QUINTILE_LABELS",
    "UploadProblem",
    "UploadResult",
    "UploadedColumn",
    "allocate",
    "parse_indicator_upload",
    "round_largest_remainder",
    "round_pence",
    "share_out",
    "validate_request",
]
__all__ += _MODELS
