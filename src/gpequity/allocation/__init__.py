"""The eFIT allocation engine: split an amount across an ICB's practices by need, exactly.

No I/O: callers pass the practices and the request, and get an :class:`AllocationResult`.
See ``docs/allocation-method.md`` for the method in plain English.
"""

from gpequity.allocation.engine import (
    CLASSIC_REMAINDER_ID,
    MAX_COMPONENTS,
    METHOD_LABELS,
    NO_IMD_LABEL,
    QUINTILE_LABELS,
    allocate,
    validate_request,
)
from gpequity.allocation.models import (
    AllocationInputError,
    AllocationRequest,
    AllocationResult,
    Baseline,
    ComponentCell,
    ComponentKind,
    ComponentPot,
    ComponentSpec,
    Direction,
    ExcludedPractice,
    InputProblem,
    Method,
    MissingPolicy,
    PcnSummary,
    PracticeAllocation,
    PracticeInput,
    QuintileSummary,
    Unit,
)
from gpequity.allocation.rounding import PENCE, round_largest_remainder, round_pence, share_out
from gpequity.allocation.upload import (
    UploadedColumn,
    UploadProblem,
    UploadResult,
    parse_indicator_upload,
)

__all__ = [
    "CLASSIC_REMAINDER_ID",
    "MAX_COMPONENTS",
    "METHOD_LABELS",
    "NO_IMD_LABEL",
    "PENCE",
    "QUINTILE_LABELS",
    "AllocationInputError",
    "AllocationRequest",
    "AllocationResult",
    "Baseline",
    "ComponentCell",
    "ComponentKind",
    "ComponentPot",
    "ComponentSpec",
    "Direction",
    "ExcludedPractice",
    "InputProblem",
    "Method",
    "MissingPolicy",
    "PcnSummary",
    "PracticeAllocation",
    "PracticeInput",
    "QuintileSummary",
    "Unit",
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
