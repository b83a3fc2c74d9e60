"""What the site is: its name, its navigation and its footer, in one place.

To put a new page in the header's navigation, add a :class:`NavEntry` to ``NAVIGATION`` in the
order it should appear (Home, Allocate, Funding and deprivation, Library, Data). Link only to
pages that exist: an entry whose page is not served yet is a broken link.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The service name in the header and in every page title.
SERVICE_NAME = "gpequity — fair general practice funding"
#: The short name ending each page's ``<title>``.
SERVICE_SHORT_NAME = "gpequity"

#: Shown on every page while the warehouse holds synthetic data (``meta.synthetic``).
SYNTHETIC_DATA_NOTICE = "This site is showing synthetic demonstration data, not real NHS figures."

#: The Open Government Licence, under which the NHS and MHCLG publish the data: reusers must
#: acknowledge the source and, where possible, link to the licence.
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

#: Where the footer's "Source code" link points: the README of the project's repository.
#: ``None`` until the repository has a public home; the footer then names the README in text.
SOURCE_CODE_URL: str | None = None


@dataclass(frozen=True)
class NavEntry:
    """One link of the header's navigation.

    ``href`` is the page's path; the entry is the current one on that exact path, and shown as
    the active section on any path below it (``/data/...`` for ``/data``).
    """

    label: str
    href: str


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("Home", "/"),
    NavEntry("Allocate", "/allocate"),
    NavEntry("Funding and deprivation", "/funding"),
    NavEntry("Library", "/resources"),
    NavEntry("Practices and ICBs", "/practices"),
    NavEntry("ICB map", "/icbs"),
    NavEntry("Data", "/data"),
)
