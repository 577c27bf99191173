#!/usr/bin/env bash
# Install the Debian packages hocvu needs, only those that are missing.
#   gettext   compiles the translations (msgfmt)
#   chromium  the real browser the browser tests drive (never a downloaded one)
#   fonts-dejavu-core  Vietnamese glyphs for screenshots
#   poppler-utils  pdftotext/pdftoppm: tests read the PDFs the platform makes
#   ffmpeg    converts lecture recordings into a rendition for slow networks (and makes
#             the recordings the tests upload)
#   nodejs, npm  the third-party credential verifiers and the OpenID provider of the tests
#                (and of make demo); a Node.js installed otherwise (NodeSource, nvm) is kept
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
wanted=("$@")
if [ ${#wanted[@]} -eq 0 ]; then
  wanted=(gettext chromium fonts-dejavu-core poppler-utils ffmpeg)
  command -v node >/dev/null || wanted+=(nodejs)
  command -v npm >/dev/null || wanted+=(npm)
fi
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
