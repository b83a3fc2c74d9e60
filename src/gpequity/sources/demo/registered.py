"""Patients Registered at a GP Practice by five-year age band (NHS Digital), April 2023.

The "quinary age" file of the last payments year's practices: for each one, all patients,
then each sex in total and by band, from the practice's age profile.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

from gpequity.sources.demo.files import Writer, official_header
from gpequity.sources.demo.lookup import ICBS
from gpequity.sources.demo.practices import AGE_BANDS, FEMALE_SHARE, Practice, age_profile

REGISTERED_FILE = "registered/gp-reg-pat-prac-quin-age.csv"
REGISTERED_HEADER = official_header("gp-reg-pat-prac-quin-age.csv")
#: The quinary-age file's publication and extract date (April after the last payments year).
REGISTERED_PUBLICATION = "GP_PRAC_PAT_LIST"
REGISTERED_EXTRACT_DATE = "01APR2023"


def write_registered(writer: Writer, practices: list[Practice], rng: random.Random) -> None:
    writer.csv(REGISTERED_FILE, REGISTERED_HEADER, _registered_rows(practices, rng))


def _registered_rows(practices: list[Practice], rng: random.Random) -> Iterable[list[str]]:
    ons = {
        code: f"E38000{i:03d}"
        for i, code in enumerate(sorted(s.code for icb in ICBS for s in icb.subs), start=1)
    }
    final = sorted((p for p in practices if p.in_year(2)), key=lambda p: (p.sub.code, p.code))
    for p in final:
        listed = p.registered[2] / 4 * math.exp(rng.gauss(0.004, 0.01))
        shares = age_profile(p.old_share)
        counts: dict[str, list[int]] = {"FEMALE": [], "MALE": []}
        for band, share in enumerate(shares):
            female = FEMALE_SHARE[band]
            for sex, part in (("FEMALE", female), ("MALE", 1 - female)):
                expected = listed * share * part * math.exp(rng.gauss(0.0, 0.04))
                counts[sex].append(max(0, round(expected)))
        prefix = [
            REGISTERED_PUBLICATION,
            REGISTERED_EXTRACT_DATE,
            "GP",
            p.sub.code,
            ons[p.sub.code],
            p.code,
            p.postcode,
        ]
        everyone = sum(counts["FEMALE"]) + sum(counts["MALE"])
        yield [*prefix, "ALL", "ALL", str(everyone)]
        for sex in ("FEMALE", "MALE"):
            yield [*prefix, sex, "ALL", str(sum(counts[sex]))]
            for label, n in zip(AGE_BANDS, counts[sex], strict=True):
                yield [*prefix, sex, label, str(n)]
