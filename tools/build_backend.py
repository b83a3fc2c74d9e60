"""The build backend: setuptools, refusing to build a wheel without the vendored front end.

The NHS design system and htmx are copied into ``src/gpequity/web/static/vendor/`` by
``make assets`` (``npm ci`` then ``tools/vendor_assets.py``); the folder is gitignored. A wheel
built without them installs and starts, then serves every page unstyled and without its
scripts: that happened, so the build stops here instead, saying what to run (``make wheel``
runs the asset step first). Editable installs (``pip install -e``) are not checked: they read
the checkout, where ``make`` vendors the files after installing.

``pyproject.toml`` names this module with ``backend-path = ["tools"]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403 (every other hook is setuptools' own)

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "gpequity" / "web" / "static" / "vendor"
#: What ``tools/vendor_assets.py`` writes and the pages link or the licences require.
REQUIRED = (
    "nhsuk-frontend/nhsuk-frontend.min.css",
    "nhsuk-frontend/nhsuk-frontend.min.js",
    "nhsuk-frontend/LICENCE.txt",
    "htmx/htmx.min.js",
    "htmx/LICENCE.txt",
)


class MissingAssets(RuntimeError):
    """The vendored front-end files are not there; the message says how to make them."""


def check_vendored(vendor: Path = VENDOR) -> None:
    """Raise :class:`MissingAssets` unless every vendored file the wheel needs is present."""
    missing = [name for name in REQUIRED if not (vendor / name).is_file()]
    if missing:
        raise MissingAssets(
            f"{vendor} lacks {', '.join(missing)}: a wheel without them serves unstyled pages. "
            "Build the wheel with 'make wheel' (or run 'make assets' first)."
        )


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    check_vendored()
    return str(build_meta.build_wheel(wheel_directory, config_settings, metadata_directory))
