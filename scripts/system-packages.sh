#!/usr/bin/env bash
# Debian packages kpi6 uses: HarfBuzz's subsetter makes WeasyPrint embed fonts faster (without it WeasyPrint
# falls back to fontTools; the Thai font itself comes from PyPI, fontpkg-sarabun). The portal's browser tests
# drive Debian's chromium through Playwright, with a Thai system font for its pages (fonts-thai-tlwg).
set -euo pipefail
want=(libharfbuzz-subset0 chromium fonts-thai-tlwg)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: could not install ${missing[*]} (not root); kpi6 works without, a little slower" >&2
  exit 0
fi
echo "installing ${missing[*]}..." >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
  || echo "note: could not install ${missing[*]}; kpi6 works without, a little slower" >&2
