#!/usr/bin/env bash
# First contact, as a new user has it (ADR 0027): a copy of this working tree in a temporary folder,
# a temporary HOME (nothing of the real one is read or written, except the native tools' build cache,
# read only), and
#   1. the current pnpm installed globally with npm (into a temporary prefix),
#   2. the pinned pnpm through corepack (when corepack is there),
# each running `pnpm install --frozen-lockfile` twice (the second must print no warning), `pnpm
# --version` and `pnpm typecheck`, and leaving package.json, pnpm-lock.yaml and
# pnpm-workspace.yaml untouched; with the global pnpm, `pnpm dev` starts, prints its banner and
# exits 0 without a warning on Ctrl-C. Exit code 0 only if everything held.
# FLOWGATE_FIRST_RUN_PNPM: the global pnpm to install (default: latest).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PINNED="$(node -p "require('$ROOT/package.json').packageManager.split('@')[1]")"
WANTED="${FLOWGATE_FIRST_RUN_PNPM:-latest}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/flowgate-first-run.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

fail() { echo "check-first-run: $*" >&2; exit 1; }

# The working tree's files (committed or not, git-ignored ones left out), like a fresh clone.
copy_tree() {
  local dest="$1"
  mkdir -p "$dest"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ ! -e "$f" ] || printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -xf - -C "$dest"
}

fingerprint() { (cd "$1" && sha256sum package.json pnpm-lock.yaml pnpm-workspace.yaml); }

# check_with LABEL DIR COMMAND...: the checks above with COMMAND as pnpm.
check_with() {
  local label="$1" dir="$2"; shift 2
  local before out
  before="$(fingerprint "$dir")"
  echo "check-first-run: [$label] $(cd "$dir" && "$@" --version 2>&1 | tail -1)"
  (cd "$dir" && "$@" install --frozen-lockfile) >"$WORK/$label-install.log" 2>&1 \
    || { cat "$WORK/$label-install.log" >&2; fail "[$label] pnpm install --frozen-lockfile failed"; }
  out="$(cd "$dir" && "$@" install --frozen-lockfile 2>&1)" || { echo "$out" >&2; fail "[$label] second install failed"; }
  if grep -Eiq 'warn|ignored build scripts|ERR_PNPM' <<<"$out"; then
    echo "$out" >&2
    fail "[$label] a repeated install printed a warning"
  fi
  if grep -Eq 'ERR_PNPM|Ignored build scripts' "$WORK/$label-install.log"; then
    cat "$WORK/$label-install.log" >&2
    fail "[$label] the first install reported an error or ignored build scripts"
  fi
  (cd "$dir" && "$@" typecheck) >"$WORK/$label-typecheck.log" 2>&1 \
    || { cat "$WORK/$label-typecheck.log" >&2; fail "[$label] pnpm typecheck failed"; }
  [ "$(fingerprint "$dir")" = "$before" ] || fail "[$label] package.json, pnpm-lock.yaml or pnpm-workspace.yaml changed"
  [ -d "$dir/node_modules/esbuild" ] && [ ! -d "$dir/node_modules/.pnpm/node_modules" ] \
    || fail "[$label] node_modules is not the hoisted layout pnpm-workspace.yaml asks for"
  echo "check-first-run: [$label] install, repeat install (no warning), typecheck: ok"
}

# The native tools (nats-server, FerretDB) are built once per machine; the copies reuse that cache.
TOOLS_CACHE="${FLOWGATE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flowgate-tools}"
export HOME="$WORK/home" XDG_CACHE_HOME="$WORK/home/.cache" XDG_DATA_HOME="$WORK/home/.local/share" \
  XDG_CONFIG_HOME="$WORK/home/.config" XDG_STATE_HOME="$WORK/home/.local/state"
export npm_config_cache="$WORK/npm-cache" npm_config_prefix="$WORK/prefix" npm_config_update_notifier=false
unset PNPM_HOME npm_config_user_agent npm_execpath npm_node_execpath
mkdir -p "$HOME"

# 1. A current pnpm, installed globally with npm.
copy_tree "$WORK/global"
npm install -g --silent "pnpm@$WANTED" >/dev/null 2>&1 || fail "npm install -g pnpm@$WANTED failed"
GLOBAL_PNPM="$WORK/prefix/bin/pnpm"
[ -x "$GLOBAL_PNPM" ] || fail "no pnpm in $WORK/prefix/bin"
# First on PATH, as a global install is: `pnpm dev`'s own `pnpm install` runs this one too.
export PATH="$WORK/prefix/bin:$PATH"
check_with "global pnpm@$WANTED" "$WORK/global" "$GLOBAL_PNPM"

# dev_start LABEL DIR COMMAND...: `pnpm dev` as a user runs it (its own process group, like a terminal's
# foreground job), on ports of its own; after the banner, Ctrl-C (SIGINT to the group) must end it
# with exit code 0 and nothing printed with "warn" or "ELIFECYCLE".
dev_start() {
  local label="$1" dir="$2"; shift 2
  local base=$((41000 + RANDOM % 2000 * 10)) log="$WORK/$label-dev.log" pid rc=0
  (cd "$dir" && FLOWGATE_HTTP_PORT=$base FLOWGATE_DEV_ECHO_PORT=$((base + 1)) \
    FLOWGATE_DEV_OPS_PORTS="$((base + 2)),$((base + 3)),$((base + 4)),$((base + 5))" \
    FLOWGATE_DEV_GRPC_PORTS="$((base + 6)),$((base + 7))" FLOWGATE_TOOLS_CACHE="$TOOLS_CACHE" \
    exec setsid "$@" dev) >"$log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 240); do
    grep -q 'Press Ctrl-C' "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  grep -q "Press Ctrl-C" "$log" || { kill -KILL -- "-$pid" 2>/dev/null || true; cat "$log" >&2; fail "[$label] pnpm dev printed no banner"; }
  kill -INT -- "-$pid"
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ] || { cat "$log" >&2; fail "[$label] pnpm dev exited with $rc after Ctrl-C"; }
  if grep -Eiq 'warn|ELIFECYCLE' "$log"; then cat "$log" >&2; fail "[$label] pnpm dev printed a warning"; fi
  echo "check-first-run: [$label] pnpm dev: banner, Ctrl-C → exit 0, no warning: ok"
}
dev_start "global pnpm@$WANTED" "$WORK/global" "$GLOBAL_PNPM"

# 2. corepack, which runs the version package.json pins.
if command -v corepack >/dev/null 2>&1; then
  copy_tree "$WORK/corepack"
  export COREPACK_HOME="$WORK/corepack-home" COREPACK_ENABLE_DOWNLOAD_PROMPT=0
  # corepack checks npm's registry signatures; a registry (mirror) that serves none cannot pass it.
  if [ -z "$(npm view "pnpm@$PINNED" dist.signatures 2>/dev/null)" ]; then
    echo "check-first-run: the registry serves no signatures for pnpm@$PINNED; corepack's signature check is off for this run"
    export COREPACK_INTEGRITY_KEYS=0
  fi
  version="$(cd "$WORK/corepack" && corepack pnpm --version 2>&1 | tail -1)"
  [ "$version" = "$PINNED" ] || fail "corepack pnpm --version: $version, expected the pinned $PINNED"
  check_with "corepack pnpm@$PINNED" "$WORK/corepack" corepack pnpm
else
  echo "check-first-run: corepack is not installed; skipping its check"
fi
echo "check-first-run: ok"
