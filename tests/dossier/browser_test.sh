#!/usr/bin/env bash
# Renders a passing and a failing proof dossier in headless Chromium, as a
# regulator sees them (docs/dossier.md), and checks: the verdict banner and
# its text; no element wider than the 1280 px viewport (an injected script
# measures every element after layout); every property's guideline statement
# and every obligation's id (collapsed lists print too) in the text of the
# printed PDF (pdftotext); every link to an obligation or change file
# resolves to a file of the dossier. Chromium and pdftotext come from
# tools/setup.sh (Debian chromium, poppler-utils); without them the test
# fails. Run from the repository root.
# Usage: browser_test.sh BIN_DIR
set -euo pipefail
bin=$1
for tool in chromium pdftotext; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (tools/setup.sh installs it)"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# browser ARGS... URL: headless Chromium with a private profile; its noise on stderr goes to a log.
browser() {
  chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1280,1000 "$@" 2>>"$work/chromium.log"
}

# The passing dossier: the bundled guideline. The failing one: a copy
# whose mdt_candidate no longer requires the tumour board.
"$bin/kb-verify" kb/guidelines --no-other-readings --quiet --title "Bundled guideline" --dossier "$work/pass" ||
  fail "kb-verify on the bundled guideline did not pass"
cp -r kb/guidelines "$work/bad"
sed -i 's/and disease_controlled and tumour_board_done/and disease_controlled/' "$work/bad/10_patient.kb"
cmp -s kb/guidelines/10_patient.kb "$work/bad/10_patient.kb" && fail "the failing copy equals the bundled guideline"
code=0
"$bin/kb-verify" "$work/bad" --no-other-readings --quiet --title "Broken copy" --dossier "$work/fail" || code=$?
[ "$code" = 1 ] || fail "kb-verify on the broken copy exited $code, expected 1"

# The page with a script that writes, after layout, the document's width and
# every element wider than the viewport or overflowing its own box.
measure_script='<script>addEventListener("load",()=>{const w=innerWidth,bad=[];
for(const e of document.querySelectorAll("body *")){const r=e.getBoundingClientRect();
if(r.right>w+1||e.scrollWidth>e.clientWidth+1&&getComputedStyle(e).overflowX!="visible"||e.scrollWidth>w)bad.push(e.tagName+"#"+e.id+" "+Math.round(r.right)+"/"+e.scrollWidth)}
const p=document.createElement("pre");p.id="measured";
p.textContent="viewport="+w+" document="+document.documentElement.scrollWidth+" wide="+bad.length+" "+bad.slice(0,5).join(";");
document.body.append(p)})</script>'

check() {  # NAME BANNER_CLASS VERDICT_TEXT
  local name=$1 banner=$2 verdict=$3 dir=$work/$1
  local page=$dir/index.html

  # The banner and its verdict, in the DOM Chromium built.
  mkdir -p "$work/$name-measure"
  { cat "$page"; printf '%s\n' "$measure_script"; } >"$work/$name-measure/index.html"  # parsed into the body
  browser --dump-dom "file://$work/$name-measure/index.html" >"$work/$name.dom"
  grep -q "<div class=\"banner $banner\" id=\"verdict\">" "$work/$name.dom" || fail "$name: no $banner banner"
  grep -q "$verdict" "$work/$name.dom" || fail "$name: the banner does not say '$verdict'"
  local measured
  measured=$(grep -o '<pre id="measured">[^<]*' "$work/$name.dom" | sed 's/^<pre id="measured">//') ||
    fail "$name: the measuring script did not run"
  echo "$name: $measured"
  [[ $measured == "viewport=1280 "* ]] || fail "$name: the viewport is not 1280 px wide: $measured"
  [[ $measured == *" wide=0 "* ]] || fail "$name: elements wider than the viewport: $measured"
  local doc_width=${measured#*document=}
  doc_width=${doc_width%% *}
  ((doc_width <= 1280)) || fail "$name: the page is $doc_width px wide"

  # A screenshot at 1280 px: a PNG of that width.
  browser --screenshot="$work/$name.png" "file://$page" >/dev/null
  [ "$(od -An -tu1 -j16 -N4 "$work/$name.png" | tr -s ' ')" = " 0 0 5 0" ] || fail "$name: the screenshot is not 1280 px wide"

  # Every property's guideline statement in the printed text (A4).
  browser --print-to-pdf="$work/$name.pdf" --no-pdf-header-footer "file://$page" >/dev/null
  pdftotext -enc UTF-8 "$work/$name.pdf" "$work/$name.txt"
  # Compared without whitespace and hyphens: pdftotext joins a word broken after a hyphen.
  tr -d ' \n\t\f-' <"$work/$name.txt" >"$work/$name.flat"
  # Each property's statement (unescaped) and each obligation's id, one per
  # line without whitespace and hyphens; one grep finds those present.
  grep -o '<blockquote>[^<]*</blockquote>' "$page" | sed 's/<[^>]*>//g; s/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g' |
    tr -d ' \t-' | sort -u >"$work/$name.quotes"
  grep -o '<section class="ob [^"]*" id="[^"]*"' "$page" | sed 's/.* id="//; s/"$//' | tr -d -- '-' | sort -u >"$work/$name.ids"
  local quotes ids missing
  quotes=$(wc -l <"$work/$name.quotes") ids=$(wc -l <"$work/$name.ids")
  ((quotes > 0 && ids > quotes)) || fail "$name: no property statements or obligation ids found on the page"
  missing=$(cat "$work/$name.quotes" "$work/$name.ids" | sort -u |
    comm -23 - <(grep -oF -f <(cat "$work/$name.quotes" "$work/$name.ids") "$work/$name.flat" | sort -u))
  [ -z "$missing" ] || fail "$name: the PDF lacks (whitespace and hyphens removed): ${missing:0:300}"
  echo "$name: $quotes property statements and $ids obligation ids in the PDF ($(stat -c %s "$page") bytes of HTML)"

  # Every link to a file of the dossier resolves to one.
  local links=0
  while IFS= read -r href; do
    [ -f "$dir/$href" ] || fail "$name: the link $href names no file of the dossier"
    links=$((links + 1))
  done < <(grep -o 'href="[^"#][^"]*"' "$page" | sed 's/^href="//; s/"$//' | sort -u)
  ((links > 0)) || fail "$name: no link to an obligation file"
  echo "$name: $links linked files exist"
}

check pass pass "Verdict: all"
check fail fail "Verdict: NOT VERIFIED"
grep -q 'href="#property:NO-MDT-WITHOUT-TUMOUR-BOARD"' "$work/fail.dom" ||
  fail "the failing banner does not link to the violated property"
grep -q 'Violated for every valid patient with [^<]*not tumour_board_done' "$work/fail.dom" ||
  fail "the violated property does not show its deciding fact first"
echo "browser test ok"
