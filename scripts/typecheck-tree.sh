#!/usr/bin/env bash
# mypy knows no setuptools package-dir mapping: it finds `kpi6.models` only at kpi6/models/. This builds
# that tree out of links to the checkout's folders (.typecheck/kpi6/models -> ../../models, ...), so that
# mypy checks the files where they are. It names them by the links; `make lint` gives the checkout's paths.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .typecheck
mkdir -p .typecheck/kpi6
for entry in kpi6/*; do
    ln -s "../../$entry" ".typecheck/kpi6/$(basename "$entry")"
done
for folder in flows tasks models deployments templates web; do
    ln -s "../../$folder" ".typecheck/kpi6/$folder"
done
