#!/usr/bin/env bash
# Makes sure the test registry's programs are installed: Debian's docker-registry (Distribution 2.8)
# and htpasswd (apache2-utils, for the authenticated instance). The package's own system service
# (port 5000) is never left running: the tests start their own instances on free loopback ports
# (test/support/registry.ts). Idempotent: returns at once when both are there.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

if command -v docker-registry >/dev/null 2>&1 && command -v htpasswd >/dev/null 2>&1; then
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "registry: installing docker-registry and apache2-utils needs root" >&2; exit 1; }

# A policy-rc.d that refuses every start keeps the package's service from starting during the install.
policy=/usr/sbin/policy-rc.d
placed=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  placed=1
fi
trap '[ "$placed" = 1 ] && rm -f "$policy"' EXIT

echo "registry: installing Debian's docker-registry and apache2-utils"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends docker-registry apache2-utils >/dev/null

# Where systemd runs, the unit may have been enabled all the same: stop it and keep it off.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
command -v docker-registry >/dev/null && command -v htpasswd >/dev/null || {
  echo "registry: docker-registry or htpasswd still missing after the install" >&2
  exit 1
}
echo "registry: $(docker-registry --version)"
