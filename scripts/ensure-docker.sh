#!/usr/bin/env bash
# Makes sure a Docker daemon answers: installs Debian's docker.io when dockerd is missing and starts
# dockerd in the background when nothing answers on DOCKER_HOST (default unix:///var/run/docker.sock).
# A remote DOCKER_HOST (tcp://, ssh://) that does not answer is an error: no local daemon is started.
# Idempotent: returns at once when a daemon already answers. The daemon logs to /var/log/msbuild-dockerd.log.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
docker=/usr/bin/docker
host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
log=/var/log/msbuild-dockerd.log
wait_seconds=${MSBUILD_DOCKERD_WAIT:-60}
start=$(date +%s.%N)

elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1fs", e - s }'; }
answers() { [ -x "$docker" ] && timeout 10 "$docker" version >/dev/null 2>&1; }
ready() {
  echo "docker: daemon answers at $host (Engine $(timeout 10 "$docker" version -f '{{.Server.Version}}' 2>/dev/null || echo '?'); $(elapsed))"
  exit 0
}
show_log=0
fail() {
  echo "docker: $*" >&2
  if [ "$show_log" = 1 ] && [ -s "$log" ]; then
    echo "docker: last lines of $log:" >&2
    tail -n 20 "$log" >&2
  fi
  exit 1
}

# msbuild's OCI worker runs RUN steps with runc itself (Debian's docker.io brings it; a daemon
# installed otherwise may not have put it on this host's PATH).
ensure_runc() {
  command -v runc >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "docker: runc is not installed (msbuild's OCI worker needs it; the Docker worker is used instead)" >&2
    return 0
  fi
  echo "docker: installing Debian's runc"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq runc >/tmp/msbuild-apt.log 2>&1 ||
    { apt-get update -qq >/tmp/msbuild-apt.log 2>&1 && apt-get install -y -qq runc >/tmp/msbuild-apt.log 2>&1; } ||
    echo "docker: installing runc failed (see /tmp/msbuild-apt.log); builds use the Docker worker" >&2
}
ensure_runc

answers && ready

case "$host" in
  unix://*) ;;
  *) fail "no daemon answers at DOCKER_HOST=$host; it is not a local socket, so no local dockerd is started (unset DOCKER_HOST to use a local one)" ;;
esac
socket="${host#unix://}"
[ "$(id -u)" = 0 ] || fail "no daemon answers at $host, and installing or starting dockerd needs root (run this script with sudo)"

if ! command -v dockerd >/dev/null 2>&1 || [ ! -x "$docker" ]; then
  echo "docker: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when the package lists are too old or missing to find docker.io.
  if ! apt-get install -y -qq docker.io >/tmp/msbuild-apt.log 2>&1; then
    echo "docker: apt-get update"
    apt-get update -qq >/tmp/msbuild-apt.log 2>&1 || { cat /tmp/msbuild-apt.log >&2; fail "apt-get update failed"; }
    apt-get install -y -qq docker.io >/tmp/msbuild-apt.log 2>&1 || { tail -n 20 /tmp/msbuild-apt.log >&2; fail "apt-get install docker.io failed"; }
  fi
  command -v dockerd >/dev/null 2>&1 || fail "docker.io is installed but dockerd is not on PATH"
  [ -x "$docker" ] || fail "docker.io is installed but $docker is missing"
  # The package's init script may have started a daemon already (where policy-rc.d allows it).
  answers && ready
fi

# The pid of a running dockerd, if any (from /proc: procps may not be installed).
dockerd_pid() {
  local p
  for p in /proc/[0-9]*; do
    if [ "$(cat "$p/comm" 2>/dev/null)" = dockerd ]; then echo "${p#/proc/}"; return 0; fi
  done
  return 1
}

wait_for_daemon() { # $1: what to say when no daemon answers in time
  show_log=1
  for _ in $(seq 1 "$wait_seconds"); do
    answers && ready
    dockerd_pid >/dev/null || fail "dockerd exited before it answered at $host"
    sleep 1
  done
  fail "no daemon answered at $host within ${wait_seconds}s${1:+; $1}"
}

# A dockerd that runs but does not answer yet is starting up (or listens elsewhere): wait, start no second.
if running=$(dockerd_pid); then
  echo "docker: dockerd (pid $running) runs but does not answer at $host yet; waiting up to ${wait_seconds}s"
  wait_for_daemon "that dockerd may listen elsewhere: point DOCKER_HOST at its socket, or stop it so this script can start one"
fi

echo "docker: starting dockerd on $host (log: $log)"
mkdir -p "$(dirname "$socket")"
echo "--- $(date -u +%FT%TZ) started by msbuild scripts/ensure-docker.sh" >>"$log"
# setsid + nohup + redirections: the daemon is in its own session with no tie to this shell or its
# output pipes, so it keeps running (and make/CI do not wait on it) after this script exits.
setsid nohup dockerd --host "unix://$socket" >>"$log" 2>&1 </dev/null &
sleep 0.2
wait_for_daemon
