#!/bin/sh
# Bundle the banner into the one classic script and the stylesheet that Flask serves.
#
# Development time only: esbuild comes from npm and nothing of Node is committed.
#   npm install --prefix /tmp/esb esbuild@0.28.2
#   ESBUILD=/tmp/esb/node_modules/.bin/esbuild static/banner/build.sh [OUTDIR]
# OUTDIR defaults to static/banner/dist; tests build into a temporary one and compare.
set -eu

# The version dist/ was built with; another version may minify differently.
ESBUILD_VERSION=0.28.2

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/dist"}
esbuild=${ESBUILD:-$(command -v esbuild || echo /tmp/esb/node_modules/.bin/esbuild)}

if [ ! -x "$esbuild" ]; then
    echo "build.sh: esbuild not found; set ESBUILD or: npm install --prefix /tmp/esb esbuild@$ESBUILD_VERSION" >&2
    exit 2
fi
if [ "$("$esbuild" --version)" != "$ESBUILD_VERSION" ]; then
    echo "build.sh: warning: esbuild $("$esbuild" --version), dist/ is built with $ESBUILD_VERSION" >&2
fi

mkdir -p "$out"
# The stylesheet first: the bundle carries it too, as the text of the import
# 'consent-banner-css', and adopts it as a constructable stylesheet (no second request).
"$esbuild" "$here/src/banner.css" --minify --target=chrome84,firefox101,safari16 \
    --legal-comments=none --charset=utf8 --log-level=warning --outfile="$out/banner.css"
"$esbuild" "$here/src/main.js" --bundle --format=iife --target=es2017 --minify \
    --alias:consent-banner-css="$out/banner.css" --loader:.css=text \
    --banner:js='//# allFunctionsCalledOnLoad' \
    --legal-comments=none --charset=utf8 --log-level=warning --outfile="$out/consent.js"

# The server substitutes the site's configuration for this identifier: exactly once.
count=$(grep -o __CONSENT_CONFIG__ "$out/consent.js" | wc -l)
if [ "$count" -ne 1 ]; then
    echo "build.sh: __CONSENT_CONFIG__ occurs $count times in consent.js, expected 1" >&2
    exit 1
fi
size=$(gzip -9 <"$out/consent.js" | wc -c)
echo "consent.js (stylesheet included, config not): $size bytes gzip"
