#!/bin/sh
# Bundle the banner (the ES modules of src/) into the one classic script and the stylesheet
# that Flask serves; dist/ is committed, so the runtime needs no Node.
#
# Development time only: esbuild comes from npm, pinned exactly in package.json and
# package-lock.json; `make test` (target banner-test) installs it with
#   npm ci --prefix static/banner
# and then: static/banner/build.sh [OUTDIR]
# OUTDIR defaults to static/banner/dist; tests build into a temporary one and compare.
# ESBUILD may name another binary (a warning if it is not the pinned version).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/dist"}
# The version dist/ is built with (another one may minify differently): package.json's.
version=$(sed -n 's/^ *"esbuild": "\([^"]*\)".*/\1/p' "$here/package.json")
esbuild=${ESBUILD:-"$here/node_modules/.bin/esbuild"}

if [ ! -x "$esbuild" ]; then
    echo "build.sh: esbuild not found; run: npm ci --prefix static/banner (or set ESBUILD)" >&2
    exit 2
fi
if [ "$("$esbuild" --version)" != "$version" ]; then
    echo "build.sh: warning: esbuild $("$esbuild" --version), dist/ is built with $version" >&2
fi

# Absolute: esbuild resolves the aliases below from the working directory.
out=$(mkdir -p "$out" && cd "$out" && pwd)
css() {
    "$esbuild" "$here/src/$1.css" --minify --target=chrome84,firefox101,safari16 \
        --legal-comments=none --charset=utf8 --log-level=warning --outfile="$out/$1.css"
}
# The stylesheets first: each bundle carries its own, as the text of the import
# 'consent-banner-css' or 'consent-later-css', and adopts it as a constructable stylesheet (no
# second request). The service serves both, one after the other, as /embed/banner.css.
css banner
css later
# The first layer opens with V8's compile hint (Chrome 136 and later; a comment elsewhere):
# nearly all of its functions run on the first page view, so they are compiled with the
# script in one pass instead of each on its first call (half the main thread's script time).
# What the first layer leaves for later (the preferences layer, the placeholders, the managed
# vendors' set-up), loaded when first needed (/embed/builds/<build>/later.js): the first
# layer's code names its sha256 as the script's integrity, so the first layer's build covers
# it and the browser runs nothing else.
"$esbuild" "$here/src/later.js" --bundle --format=iife --target=chrome103,firefox101,safari16 --minify \
    --alias:consent-later-css="$out/later.css" --loader:.css=text \
    --legal-comments=none --charset=utf8 --log-level=warning --outfile="$out/later.js"
later=sha256-$(node -e 'process.stdout.write(require("crypto").createHash("sha256")
    .update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$out/later.js")
"$esbuild" "$here/src/main.js" --bundle --format=iife --target=chrome103,firefox101,safari16 --minify \
    --alias:consent-banner-css="$out/banner.css" --loader:.css=text \
    --define:LATER_INTEGRITY="\"$later\"" \
    --banner:js='//# allFunctionsCalledOnLoad
(function(__CONSENT_CONFIG__){' --footer:js='})' \
    --legal-comments=none --charset=utf8 --log-level=warning --outfile="$out/consent.js"

# The cookie declaration's own script (served at /embed/declaration.js): the first layer loads
# it only on a page with [data-consent-declaration], so it is not part of the first layer.
"$esbuild" "$here/src/declaration.js" --bundle --format=iife --target=chrome103,firefox101,safari16 \
    --minify --legal-comments=none --charset=utf8 --log-level=warning --outfile="$out/declaration.js"

# The code is a function expression (of the site's configuration) that does nothing alone: the
# embed follows it with the config, "(…);", which calls it. The parameter is read once.
count=$(grep -o __CONSENT_CONFIG__ "$out/consent.js" | wc -l)
if [ "$count" -ne 2 ]; then
    echo "build.sh: __CONSENT_CONFIG__ occurs $count times in consent.js, expected 2" >&2
    exit 1
fi
size=$(gzip -9 <"$out/consent.js" | wc -c)
echo "consent.js (stylesheet included, config not): $size bytes gzip; later.js: $(gzip -9 <"$out/later.js" | wc -c)"
