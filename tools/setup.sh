#!/usr/bin/env bash
# Idempotent set-up: installs missing Debian packages, configures and builds
# into build/ (Release unless BUILD_TYPE says otherwise), and installs the
# SARIF Multitool and ajv-cli (npm) into build/node_modules for the SARIF and
# JSON schema validation tests. Extra CMake options
# may be passed in CMAKE_ARGS, e.g. CMAKE_ARGS=-DKB_SANITIZE=ON BUILD_DIR=build-asan;
# SETUP_TARGETS limits the build to some targets (tools/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake pkg-config libz3-dev z3 cvc5 libsqlite3-dev sqlite3 libsqlitecpp-dev
          librapidcheck-dev libgtest-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev
          libssl-dev libpugixml-dev doxygen chromium poppler-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(npm)  # npm may come from outside Debian (e.g. NodeSource's nodejs)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

build_dir=${BUILD_DIR:-build}
# Configure every time (quick when nothing changed): a fresh folder, an
# earlier configure that failed half-way, or targets added since the folder
# was configured (make names only the targets it was generated with).
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_ARGS:-} >/dev/null
targets=()
for t in ${SETUP_TARGETS:-}; do targets+=(--target "$t"); done
if ! cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}" >"$build_dir/build.log" 2>&1; then
  cat "$build_dir/build.log" >&2
  echo "setup: build failed (log: $build_dir/build.log)" >&2
  exit 1
fi
grep -E 'warning:' "$build_dir/build.log" >&2 || true

# Two npm tools for validation tests, installed locally (never globally,
# never committed), pinned, once: the SARIF Multitool validates the SARIF logs
# (sarif_logs_validate) and ajv-cli the JSON outputs against schemas/
# (json_schemas_validate). Both are named in one npm call, since npm removes
# from node_modules what a later --no-save install does not name. A failure
# (no registry) only skips those tests.
multitool_version=5.7.0
ajv_cli_version=5.0.0
multitool="$build_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
# installed NAME VERSION: node_modules has package NAME at VERSION.
installed() { grep -q "\"version\": \"$2\"" "$build_dir/node_modules/$1/package.json" 2>/dev/null; }
if [ -z "${SETUP_TARGETS:-}" ] && command -v npm >/dev/null && { [ ! -f "$multitool" ] || [ ! -x "$build_dir/node_modules/.bin/ajv" ] ||
     ! installed @microsoft/sarif-multitool "$multitool_version" || ! installed ajv-cli "$ajv_cli_version"; }; then
  if npm install --prefix "$build_dir" --no-save --no-audit --no-fund --loglevel=error \
       "@microsoft/sarif-multitool@$multitool_version" "ajv-cli@$ajv_cli_version" >"$build_dir/npm.log" 2>&1; then
    chmod u+x "$multitool"  # its postinstall script, which npm may not run
  else
    echo "setup: could not install @microsoft/sarif-multitool and ajv-cli (log: $build_dir/npm.log); the SARIF and JSON schema validation tests will be skipped" >&2
  fi
fi
