"""Synthetic demonstration data, written in the exact layouts of the official files.

``gpequity data demo`` calls :func:`generate_demo` to write a folder that the warehouse loads
exactly as it loads the real publications: the CCG-to-ICB lookup (NHS England), NHS Payments to
General Practice for 2020/21 to 2022/23 (NHS Digital), the practice IMD scores (OHID Fingertips
indicator 93553), three Fingertips indicator exports, "Patients Registered at a GP Practice" by
five-year age band (NHS Digital), ONS's list of the ICBs of April 2026 and the eFIT tool's
per-ICB population and indicator files (under the ICBs of April 2026).

Every figure is invented. The ICB, sub-ICB and region codes and names are the real public
reference codes (so the lookup and the maps behave as with real data); practices, PCNs, names,
addresses, list sizes, payments and indicator values are drawn from a seeded random generator,
shaped by distributions summarised from the real 2020/21 to 2022/23 files (see
``docs/demo-data.md``). The same seed and size always give byte-identical files.

The package has one module per file it writes (``payments``, ``imd``, ``fingertips``,
``registered``, ``efit``, ``lookup``, ``icbs2026``), the practices they all describe
(``practices``) and what they share (``files``); the official headers and the ICB reference
tables are its package data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gpequity.sources.demo.efit import EFIT_INDICATOR_HEADER, EFIT_POPULATION_HEADER, write_efit
from gpequity.sources.demo.files import Writer, stream
from gpequity.sources.demo.fingertips import (
    FINGERTIPS_HEADER,
    FINGERTIPS_HEADER_PCN,
    SUPPRESSED,
    write_fingertips,
)
from gpequity.sources.demo.icbs2026 import ICB_NAMES_HEADER, ICBS_2026, write_icb_names
from gpequity.sources.demo.imd import IMD_HEADER, write_imd
from gpequity.sources.demo.lookup import ICBS, LOOKUP_HEADER, write_lookup
from gpequity.sources.demo.payments import PAYMENTS_HEADERS, YEARS, write_payments
from gpequity.sources.demo.practices import AGE_BANDS, draw_practices
from gpequity.sources.demo.registered import REGISTERED_HEADER, write_registered

__all__ = [
    "AGE_BANDS",
    "DEFAULT_PRACTICES",
    "DEFAULT_SEED",
    "EFIT_INDICATOR_HEADER",
    "EFIT_POPULATION_HEADER",
    "FINGERTIPS_HEADER",
    "FINGERTIPS_HEADER_PCN",
    "ICBS",
    "ICBS_2026",
    "ICB_NAMES_HEADER",
    "IMD_HEADER",
    "LOOKUP_HEADER",
    "MIN_PRACTICES",
    "PAYMENTS_HEADERS",
    "REGISTERED_HEADER",
    "SUPPRESSED",
    "SYNTHETIC_MARKER",
    "YEARS",
    "generate_demo",
]

#: Default seed and size of ``gpequity data demo``.
DEFAULT_SEED = 2023
DEFAULT_PRACTICES = 6500
#: Fewer practices than this cannot give every one of the 42 ICBs a practice.
MIN_PRACTICES = 50
#: Name of the marker file; its presence makes the warehouse flag itself as synthetic.
SYNTHETIC_MARKER = "SYNTHETIC"


def generate_demo(
    out: Path,
    seed: int = DEFAULT_SEED,
    practices: int = DEFAULT_PRACTICES,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write synthetic data in the official file layouts into ``out``; return the files.

    ``practices`` is the number of practices in the last payments year (2022/23); earlier
    years also hold the practices that closed since. The same ``seed`` and ``practices``
    always give byte-identical files: each file draws from its own seeded stream.
    """
    if practices < MIN_PRACTICES:
        raise ValueError(f"practices must be at least {MIN_PRACTICES}, not {practices}")
    everyone, pcns = draw_practices(seed, practices)

    writer = Writer(out, progress)
    with writer.open(SYNTHETIC_MARKER) as fh:
        fh.write(_marker_text(seed, practices))
    write_lookup(writer)
    write_icb_names(writer)
    write_payments(writer, everyone, stream(seed, "payments"))
    write_imd(writer, everyone)
    write_fingertips(writer, everyone, pcns, stream(seed, "fingertips"))
    write_registered(writer, everyone, stream(seed, "registered"))
    write_efit(writer, everyone, stream(seed, "efit"))
    return writer.written


def _marker_text(seed: int, practices: int) -> str:
    return (
        "SYNTHETIC DEMONSTRATION DATA - NOT REAL\n"
        "\n"
        "Every practice, PCN, list size, payment, deprivation score and indicator value in this\n"
        "folder was invented by 'gpequity data demo' "
        f"(seed {seed}, {practices} practices in 2022/23).\n"
        "Only the ICB, sub-ICB and region codes and names are real public reference data.\n"
        "The files copy the layouts of the official publications so that the warehouse loads\n"
        "them exactly as it loads the real ones. Do not use them to draw conclusions about any\n"
        "real practice, ICB or policy. See docs/demo-data.md.\n"
    )
