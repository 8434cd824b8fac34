#!/usr/bin/env bash
# Provides prometheus and promtool (Debian's `prometheus` package, 2.42 on bookworm) for the alert
# unit tests (promtool test rules, scripts/helm-check.sh) and test/e2e/observability.test.ts, which
# runs a real Prometheus. Installs the package with apt-get when the binaries are missing (as root, or
# through sudo without a password); the package's own service is never started (policy-rc.d / no init).
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "prometheus.sh: prometheus and promtool are required (apt-get install prometheus, or put both on PATH)" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "prometheus.sh: prometheus and promtool are missing; install them: sudo apt-get install prometheus" >&2
    exit 1
  fi
fi
echo "prometheus.sh: installing Debian's prometheus package (prometheus, promtool) ..." >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2
# Keep the package's service from starting: tests run the binary themselves on a loopback port.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod +x "$policy"
  created_policy=1
fi
status=0
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends prometheus >&2 || status=$?
if [ -n "$created_policy" ]; then "${SUDO[@]}" rm -f "$policy"; fi
[ "$status" -eq 0 ] || exit "$status"
promtool --version 2>&1 | head -1 >&2
