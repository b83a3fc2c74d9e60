#!/usr/bin/env bash
# Install the Debian packages the tests and the PDF datapacks need, if any is missing:
# Chromium (browser tests), poppler-utils (pdftoppm, pdftotext) and WeasyPrint's libraries
# (Pango, HarfBuzz; each checked: one can be present without the others) and a font.
# Used by `make test` and `.ci/run`. Needs root (or sudo); otherwise it says what to install.
set -euo pipefail

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  run=(sudo)
else
  echo "Missing Debian packages: ${need[*]}" >&2
  echo "Install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
