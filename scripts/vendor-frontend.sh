#!/usr/bin/env bash
# Refreshes the vendored front-end files from the npm registry, at the
# versions pinned below, and records their checksums in VERSIONS.
# The app never loads anything from a CDN: these files are served by Flask.
set -euo pipefail
HTMX=2.0.11        # htmx 2.x: htmx-ext-sse 2.x does not support htmx 4
HTMX_SSE=2.2.4
dest="$(cd "$(dirname "$0")/.." && pwd)/teaminbox/static/vendor"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@$HTMX" "htmx-ext-sse@$HTMX_SSE" >/dev/null
tar xzf "htmx.org-$HTMX.tgz" && cp package/dist/htmx.min.js "$dest/htmx-$HTMX.min.js" \
  && cp package/LICENSE "$dest/LICENSE-htmx" && rm -rf package
tar xzf "htmx-ext-sse-$HTMX_SSE.tgz" && cp package/sse.js "$dest/htmx-ext-sse-$HTMX_SSE.js"
cd "$dest"
{ echo "htmx.org $HTMX htmx-$HTMX.min.js"; echo "htmx-ext-sse $HTMX_SSE htmx-ext-sse-$HTMX_SSE.js";
  sha256sum "htmx-$HTMX.min.js" "htmx-ext-sse-$HTMX_SSE.js"; } > VERSIONS
