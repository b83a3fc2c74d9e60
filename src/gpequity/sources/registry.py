"""The registry of official datasets the warehouse loads.

``DATASETS`` is the load order: the CCG-to-ICB lookup before the payments that need it, the
payments before the deprivation scores derived for each payments year; the ONS lists of the
April 2026 ICBs before the eFIT files, so that the new ICBs are named as they name themselves.
"""

from __future__ import annotations

from gpequity.sources import (
    efit,
    fingertips,
    icb_boundaries,
    icb_names,
    imd,
    lookup,
    lsoa_icb_lookup,
    ods_sub_icb,
    payments,
    qof,
    registered,
)
from gpequity.sources.base import Dataset

DATASETS: tuple[Dataset, ...] = (
    lookup.DATASET,
    lsoa_icb_lookup.DATASET,
    ods_sub_icb.DATASET,
    icb_names.DATASET,
    icb_boundaries.DATASET,
    payments.DATASET,
    imd.DATASET,
    fingertips.DATASET,
    qof.DATASET,
    registered.DATASET,
    efit.DATASET,
)


def dataset_named(name: str) -> Dataset:
    """Return the dataset with this short name."""
    for dataset in DATASETS:
        if dataset.name == name:
            return dataset
    raise KeyError(name)
