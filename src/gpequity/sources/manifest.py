"""Where each official file comes from: the manifest that ``gpequity data fetch`` downloads.

One entry per file the warehouse loads: its dataset (the loader's short name), period, the
publisher's address, the name it is saved under (the name the loaders recognise, as in
``../shared/data``) and its path under a mirror laid out like ``../shared/data``.

Every address here was established from documentation or from public code that downloads the
same file; none is guessed. Where no direct file address could be established the entry says
so (``url`` is ``None`` and ``note`` explains) and, where the publication page is known and
its links are known to name the file, ``page`` and ``link`` let the fetch find the file's
current address on that page. ``docs/data-sources.md`` lists the same facts for people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

#: NHS Digital's (now NHS England's) landing page of the annual payments publication.
PAYMENTS_SERIES = (
    "https://digital.nhs.uk/data-and-information/publications/statistical/"
    "nhs-payments-to-general-practice"
)
#: The OHID Fingertips public API (the same one the fingertipsR package calls).
FINGERTIPS_API = "https://fingertips.phe.org.uk/api"
#: The Fingertips profile the practice indicators belong to (National General Practice Profiles).
FINGERTIPS_GP_PROFILE = "https://fingertips.phe.org.uk/profile/general-practice"
#: Fingertips area type ids: 7 is GP practices, 15 is England (the parent of every practice).
FINGERTIPS_GP_PRACTICES = 7
FINGERTIPS_ENGLAND = 15
#: The ONS Open Geography Portal, where ONS publishes its lookups and names-and-codes lists.
ONS_GEOPORTAL = "https://geoportal.statistics.gov.uk/"
#: NHS England's Organisation Data Service summary of the ICB mergers of 1 April 2026.
ODS_ICB_MERGERS_2026 = (
    "https://digital.nhs.uk/services/organisation-data-service/upcoming-code-changes/"
    "icb-mergers-2026-change-summary"
)
#: ODS's page of CSV downloads of "other NHS organisations" (ICBs' sub-ICB locations among them).
ODS_OTHER_NHS_ORGANISATIONS = (
    "https://digital.nhs.uk/services/organisation-data-service/export-data-files/csv-downloads/"
    "other-nhs-organisations"
)
#: ODS's zip of its sub-ICB locations file (``eccg.csv``), as public code that reads it uses.
ODS_ECCG_ZIP = "https://files.digital.nhs.uk/assets/ods/current/eccg.zip"
#: ONS's feature service of the April 2026 ICB boundaries, as GeoJSON in WGS84.
ICB_BOUNDARIES_2026 = (
    "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
    "Integrated_Care_Boards_April_2026_EN_BGC/FeatureServer/0/query"
    "?where=1%3D1&outFields=ICB26CD,ICB26NM&outSR=4326&f=geojson"
)
#: The licence of every file here, as the publishers state it.
OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class ManifestEntry:
    """One official file: where it is published and where ``fetch`` saves it.

    ``filename`` is relative to the destination folder and ``mirror_path`` relative to the
    mirror's root; both use ``/`` and can never climb out of their folder.
    """

    dataset: str
    period: str
    url: str | None
    filename: str
    mirror_path: str
    #: The publication's name, for people.
    title: str = ""
    #: The publisher's page for the file (shown when the file cannot be downloaded).
    page: str | None = None
    #: A regular expression matching the file's name among the links of ``page``; used to
    #: find the address when ``url`` is not known.
    link: str | None = None
    #: Fetched only when asked for by name (``only=[dataset]``).
    optional: bool = False
    licence: str = OGL
    #: Why an address is missing, or what differs from the copy in ``../shared/data``.
    note: str = ""

    def __post_init__(self) -> None:
        for field_name in ("filename", "mirror_path"):
            value = getattr(self, field_name)
            path = PurePosixPath(value)
            if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
                raise ValueError(
                    f"{field_name} must be a relative path inside its folder: {value!r}"
                )
        if self.link is not None:
            re.compile(self.link)

    @property
    def label(self) -> str:
        """The dataset and period as messages name them, e.g. ``payments 2022/23``."""
        return f"{self.dataset} {self.period}".strip()


def fingertips_csv_url(indicator_id: int) -> str:
    """Return the Fingertips API address of one indicator's practice-level CSV export.

    The export has one row per area, period, sex and age (practices with ``Area Type`` =
    ``GPs``, and England as the comparator); ``include_sortable_time_periods`` adds the
    ``Time period Sortable`` column the Fingertips website's own export has.
    """
    return (
        f"{FINGERTIPS_API}/all_data/csv/by_indicator_id?indicator_ids={indicator_id}"
        f"&child_area_type_id={FINGERTIPS_GP_PRACTICES}"
        f"&parent_area_type_id={FINGERTIPS_ENGLAND}&include_sortable_time_periods=yes"
    )


def _payments(
    start: int, url: str | None = None, page: str | None = None, note: str = ""
) -> ManifestEntry:
    yy = f"{start % 100:02d}-{(start + 1) % 100:02d}"
    name = f"nhs-payments/nhspaymentsgp-{yy}-prac-csv.csv"
    if url is None and page is None:
        note = note or (
            "No direct file address or publication page address could be established; the "
            f"file is linked from the series page {PAYMENTS_SERIES}."
        )
    elif url is None:
        note = note or (
            "No direct file address could be established; the fetch finds the practice-level "
            "CSV among the links of the publication page."
        )
    return ManifestEntry(
        dataset="payments",
        period=f"{start}/{(start + 1) % 100:02d}",
        url=url,
        filename=name,
        mirror_path=name,
        title=f"NHS Payments to General Practice, England, {start}-{(start + 1) % 100:02d}",
        page=page or PAYMENTS_SERIES,
        # The publisher's names vary: nhspaymentsgp-18-19-csv.csv,
        # nhspaymentsgp-21-22-prac-csv-v2.csv, nhspaymentsgp-22-23-prac-csv.csv; the PCN-level
        # file (nhspaymentsgp-YY-YY-pcn-csv.csv) must not match.
        link=(rf"^nhspaymentsgp-{yy}-(prac-)?csv(-v\d+)?\.csv$" if page else None),
        note=note,
    )


def _year_page(start: int) -> str:
    return f"{PAYMENTS_SERIES}/england-{start}-{(start + 1) % 100:02d}"


def _copied(
    dataset: str,
    period: str,
    path: str,
    title: str,
    *,
    page: str,
    note: str,
    optional: bool = False,
) -> ManifestEntry:
    """A file no publisher address serves as the warehouse reads it: only a mirror (or a copy
    by hand) gives it, saved and mirrored under ``path``; ``page`` is where people find it."""
    return ManifestEntry(
        dataset=dataset,
        period=period,
        url=None,
        filename=path,
        mirror_path=path,
        title=title,
        page=page,
        optional=optional,
        note=note,
    )


def _fingertips(indicator_id: int, slug: str, title: str) -> ManifestEntry:
    name = f"fingertips/indicator-{indicator_id}-{slug}.csv"
    return ManifestEntry(
        dataset="fingertips",
        period="all periods",
        url=fingertips_csv_url(indicator_id),
        filename=name,
        mirror_path=name,
        title=f"OHID Fingertips indicator {indicator_id}: {title}",
        page=FINGERTIPS_GP_PROFILE,
        note=(
            "The API serves the live export: it changes when OHID publishes new data, so it "
            "is not byte-identical to the copy in ../shared/data."
        ),
    )


MANIFEST: tuple[ManifestEntry, ...] = (
    _copied(
        "lookup",
        "July 2022",
        "lookups/ccg-icb-lookup.csv",
        "CCG / sub-ICB location to Integrated Care Board lookup",
        page=(
            "https://geoportal.statistics.gov.uk/datasets/ons::sub-icb-locations-to-"
            "integrated-care-boards-to-nhs-england-region-july-2022-lookup-in-england"
        ),
        note=(
            "No publisher address serves this file as the warehouse reads it (columns "
            "'CCG Code, ICB Code, ICB NAME'). The official lookup is ONS's 'Sub ICB Locations "
            "to Integrated Care Boards to NHS England (Region) (July 2022) Lookup in England' "
            "(columns SICBL22CDH, ICB22CDH, ICB22NM, ...), whose download address is generated "
            "by the Open Geography Portal and could not be established; use a mirror or copy "
            "the file."
        ),
    ),
    _copied(
        "icb_names",
        "2026",
        "lookups/icb-april-2026-names-and-codes.csv",
        "Integrated Care Boards (April 2026) Names and Codes in EN",
        page=ONS_GEOPORTAL,
        note=(
            "ONS publishes the file on the Open Geography Portal (columns ICB26CD, ICB26CDH, "
            "ICB26NM, ObjectId); its download address is generated by the portal and could not "
            "be established; use a mirror or copy the file. ODS lists the same organisations "
            f"and the April 2026 changes: {ODS_ICB_MERGERS_2026}."
        ),
    ),
    ManifestEntry(
        dataset="icb_boundaries",
        period="2026",
        url=ICB_BOUNDARIES_2026,
        filename="boundaries/icb-april-2026-boundaries-en-bgc.geojson",
        mirror_path="boundaries/icb-april-2026-boundaries-en-bgc.geojson",
        title="Integrated Care Boards (April 2026) Boundaries EN BGC",
        page=ONS_GEOPORTAL,
        optional=True,
        note=(
            "Optional (the map of ICBs draws tiles without it): fetched only with "
            "only=['icb_boundaries']. The GeoJSON of ONS's feature service for the layer, in "
            "WGS84 (outSR=4326), properties ICB26CD and ICB26NM; the address follows the "
            "pattern of the April 2023 layers public code downloads "
            "(Integrated_Care_Boards_April_2023_EN_BSC/FeatureServer/0/query?...&f=geojson): "
            "if ONS names the 2026 layer otherwise, download it from the portal as GeoJSON "
            "or use a mirror. Not in ../shared/data."
        ),
    ),
    _copied(
        "lsoa_icb_lookup",
        "2026",
        "lookups/lsoa21-sicbl-icb-nhser-lad-april-2026-lookup.csv",
        "LSOA (2021) to SICBL to ICB to NHSER to LAD (April 2026) Lookup in EN",
        page=ONS_GEOPORTAL,
        optional=True,
        note=(
            "Optional (without it the sub-ICB map of April 2026 is derived from the eFIT "
            "files): fetched only with only=['lsoa_icb_lookup']. ONS publishes it on the Open "
            "Geography Portal (columns LSOA21CD, LSOA21NM, SICBL26CD, SICBL26CDH, SICBL26NM, "
            "ICB26CD, ICB26CDH, ICB26NM, NHSER26CD, NHSER26CDH, NHSER26NM, LAD...); its download "
            "address is generated by the portal and could not be established; the name saved "
            "under is the project's own. Not in ../shared/data."
        ),
    ),
    _copied(
        "ods_sub_icb",
        "quarterly release",
        "lookups/eccg.csv",
        "Sub ICB Locations (eccg), NHS England Organisation Data Service",
        page=ODS_OTHER_NHS_ORGANISATIONS,
        optional=True,
        note=(
            "Optional (without it, and without the ONS LSOA lookup, the sub-ICB map of April "
            "2026 is derived from the eFIT files): fetched only with only=['ods_sub_icb']. ODS "
            f"publishes it zipped, {ODS_ECCG_ZIP}, with its description (no header row; ODS's "
            "standard 27 columns); the warehouse reads CSV files, so unzip eccg.csv into "
            "lookups/ or use a mirror. Not in ../shared/data."
        ),
    ),
    _payments(2014),
    _payments(2015),
    _payments(2016, page=f"{PAYMENTS_SERIES}/nhs-payments-to-general-practice-england-2016-17"),
    _payments(2017),
    _payments(2018, page=_year_page(2018)),
    _payments(2019, page=_year_page(2019)),
    _payments(
        2020,
        url="https://files.digital.nhs.uk/A3/625945/nhspaymentsgp-20-21-prac-csv.csv",
        page=_year_page(2020),
    ),
    _payments(2021, page=_year_page(2021)),
    _payments(
        2022,
        url="https://files.digital.nhs.uk/05/E6ADA0/nhspaymentsgp-22-23-prac-csv.csv",
        page=_year_page(2022),
    ),
    ManifestEntry(
        dataset="imd",
        period="IMD 2010, 2015, 2019",
        url=fingertips_csv_url(93553),
        filename="deprivation/practice-imd-93553.csv",
        mirror_path="deprivation/practice-imd-93553.csv",
        title="OHID Fingertips indicator 93553: Deprivation score (IMD), GP practices",
        page=FINGERTIPS_GP_PROFILE,
        note=(
            "The API serves the standard Fingertips export layout ('Indicator ID, ..., Area "
            "Code, Area Type, ..., Time period, Value, ...'); the copy in ../shared/data has "
            "the shorter layout 'IndicatorID, Year, AreaCode, AreaName, IsAreaCurrent, Value'."
        ),
    ),
    _fingertips(91547, "smoking-prevalence-qof", "Smoking prevalence in adults (15+), QOF"),
    _fingertips(93930, "ae-attendances-0-4", "A&E attendances (0 to 4 years)"),
    _fingertips(247, "dementia-prevalence-qof", "Dementia: QOF prevalence (all ages)"),
    _fingertips(200, "learning-disability-prevalence-qof", "Learning disability: QOF prevalence"),
    _copied(
        "qof",
        "2023/24",
        "qof/childhood-vaccination-achievement-2023-24.csv",
        "Quality and Outcomes Framework 2023-24: childhood vaccination achievement",
        page=(
            "https://digital.nhs.uk/data-and-information/publications/statistical/"
            "quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data/2023-24"
        ),
        note=(
            "The file is a reshaped extract ('Practice code, Practice name, "
            "perc_achievement'); no publisher serves it in that layout. The publication's raw "
            "data (https://files.digital.nhs.uk/DA/975A29/QOF2324.zip) is a zip of every "
            "indicator, which the warehouse does not read; use a mirror or copy the file."
        ),
    ),
    ManifestEntry(
        dataset="registered",
        period="March 2022",
        url="https://files.digital.nhs.uk/98/EF683D/gp-reg-pat-prac-quin-age.csv",
        filename="registered/gp-reg-pat-prac-quin-age-2022-03.csv",
        mirror_path="registered/gp-reg-pat-prac-quin-age-2022-03.csv",
        title="Patients Registered at a GP Practice, March 2022: five-year age bands by sex",
        page=(
            "https://digital.nhs.uk/data-and-information/publications/statistical/"
            "patients-registered-at-a-gp-practice"
        ),
        optional=True,
        note=(
            "Optional (the eFIT population files give list sizes by age too): fetched only "
            "with only=['registered']. Later months are published as a zip "
            "(gp-reg-pat-prac-quin-age.zip), which the warehouse does not read."
        ),
    ),
)


def dataset_names() -> tuple[str, ...]:
    """Return the datasets of the manifest, in manifest order, each once."""
    return tuple(dict.fromkeys(entry.dataset for entry in MANIFEST))
