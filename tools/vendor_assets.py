"""Copy the web app's front-end assets from ``node_modules`` into the package's static folder.

The app serves everything itself, so that every page works offline: no CDN, no external URL.
``npm ci`` installs the exact versions pinned in ``package.json`` / ``package-lock.json``; this
script then copies what the app needs into ``src/gpequity/web/static/vendor/`` (gitignored),
together with each package's licence:

- NHS.UK frontend (MIT): compiled CSS and JavaScript, and its ``assets`` folder (icons, logos,
  favicons, manifest);
- htmx (0BSD): ``htmx.min.js``.

Run from the repository root: ``npm ci --no-audit --no-fund && python tools/vendor_assets.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "gpequity" / "web" / "static" / "vendor"

NHSUK = "nhsuk-frontend"
HTMX = "htmx.org"

#: The compiled stylesheet loads the NHS's Frutiger webfont from assets.nhs.uk. The font is
#: licensed for NHS services only and the request would break offline use, so its
#: ``@font-face`` rules are dropped: the design system's font stack then falls back to Arial.
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
#: The compiled stylesheet points at icons under the site root (``/assets/images/...``); the app
#: serves them beside the stylesheet instead, so the URLs are made relative to it.
ROOT_ASSET_URL = re.compile(r"url\(\s*([\"']?)/assets/")
#: Source maps are not shipped: a browser's developer tools would request them and get a 404.
SOURCE_MAP = re.compile(r"/[*/]# sourceMappingURL=[^\n*]*(\*/)?")
#: Any absolute URL left in a stylesheet after the rewrites means a new release added an
#: external dependency that must be dealt with here.
EXTERNAL_URL = re.compile(r"url\(\s*[\"']?(?:https?:)?//", re.IGNORECASE)


class VendorError(Exception):
    """Something the person running the script must fix; the message says what."""


def main() -> int:
    try:
        copied = vendor_assets(NODE_MODULES, VENDOR, ROOT / "package.json")
    except VendorError as exc:
        print(f"vendor_assets: {exc}", file=sys.stderr)
        return 1
    for path in copied:
        print(f"vendored {path.relative_to(ROOT)}")
    return 0


def vendor_assets(node_modules: Path, vendor: Path, package_json: Path) -> list[Path]:
    """Replace ``vendor`` with fresh copies of the assets; return the top-level paths written."""
    check_installed(node_modules, package_json)
    nhsuk = node_modules / NHSUK / "dist" / "nhsuk"
    htmx = node_modules / HTMX
    if vendor.exists():
        shutil.rmtree(vendor)
    nhsuk_out = vendor / NHSUK
    htmx_out = vendor / "htmx"
    nhsuk_out.mkdir(parents=True)
    htmx_out.mkdir(parents=True)

    write_text(
        nhsuk_out / "nhsuk-frontend.min.css", rewrite_css(read(nhsuk / "nhsuk-frontend.min.css"))
    )
    write_text(
        nhsuk_out / "nhsuk-frontend.min.js", strip_source_map(read(nhsuk / "nhsuk-frontend.min.js"))
    )
    shutil.copytree(nhsuk / "assets", nhsuk_out / "assets")
    write_text(nhsuk_out / "LICENCE.txt", nhsuk_licence(node_modules / NHSUK))

    shutil.copy2(htmx / "dist" / "htmx.min.js", htmx_out / "htmx.min.js")
    shutil.copy2(htmx / "LICENSE", htmx_out / "LICENCE.txt")
    return [nhsuk_out, htmx_out]


def check_installed(node_modules: Path, package_json: Path) -> None:
    """Fail unless every pinned package is installed at exactly its pinned version."""
    if not node_modules.is_dir():
        raise VendorError(
            f"{node_modules} not found: install the pinned front-end packages first with "
            "'npm ci --no-audit --no-fund' (or 'make assets')"
        )
    manifest = json.loads(package_json.read_text(encoding="utf-8"))
    pinned = manifest.get("dependencies", {})
    for name in (NHSUK, HTMX):
        wanted = pinned.get(name)
        if wanted is None:
            raise VendorError(f"{package_json} does not list {name} in its dependencies")
        installed_manifest = node_modules / name / "package.json"
        if not installed_manifest.is_file():
            raise VendorError(
                f"{name} is not installed in {node_modules}: run 'npm ci --no-audit --no-fund'"
            )
        installed = json.loads(installed_manifest.read_text(encoding="utf-8"))["version"]
        if installed != wanted:
            raise VendorError(
                f"{name} {installed} is installed but package.json pins {wanted}: run "
                "'npm ci --no-audit --no-fund'"
            )


def rewrite_css(css: str) -> str:
    """Make the compiled stylesheet self-contained: no webfont, icons beside it, no source map."""
    css = FONT_FACE.sub("", css)
    css = ROOT_ASSET_URL.sub(r"url(\1assets/", css)
    css = strip_source_map(css)
    external = EXTERNAL_URL.search(css)
    if external:
        context = css[external.start() : external.start() + 80]
        raise VendorError(
            f"the {NHSUK} stylesheet still refers to an external URL ({context}...): "
            "update tools/vendor_assets.py so the app stays usable offline"
        )
    return css


def strip_source_map(text: str) -> str:
    return SOURCE_MAP.sub("", text).rstrip() + "\n"


def nhsuk_licence(package: Path) -> str:
    """The licence note of NHS.UK frontend.

    Its npm package ships no LICENSE file: the licence is declared in ``package.json`` and
    stated in the README's "Licence" section, both of which are copied here, with the MIT
    licence text the repository publishes.
    """
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    readme = (package / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Licence\s*\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    if manifest.get("license") != "MIT" or section is None:
        raise VendorError(
            f"{NHSUK} {manifest.get('version')}: its licence is no longer declared as expected "
            f"(license={manifest.get('license')!r}); check it and update tools/vendor_assets.py"
        )
    return (
        f"{NHSUK} {manifest['version']} ({manifest.get('homepage', '')})\n"
        f"Licence declared by the package: {manifest['license']}\n\n"
        f"From the package README:\n\n{section.group(1).strip()}\n\n"
        f"{MIT_LICENCE}"
    )


MIT_LICENCE = """MIT License

Copyright (c) 2019 NHS.UK

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def read(path: Path) -> str:
    if not path.is_file():
        raise VendorError(f"{path} not found: the installed package's layout has changed")
    return path.read_text(encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
