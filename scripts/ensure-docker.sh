#!/usr/bin/env bash
# Makes sure a Docker daemon answers: installs Debian's docker.io when dockerd is missing and starts
# dockerd in the background when nothing answers on DOCKER_HOST (default unix:///var/run/docker.sock).
# Idempotent: returns at once when a daemon already answers.
set -euo pipefail
docker=/usr/bin/docker
host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
log=/var/log/msbuild-dockerd.log

answers() { [ -x "$docker" ] && timeout 5 "$docker" version >/dev/null 2>&1; }

if answers; then
  echo "docker: daemon answers at $host"
  exit 0
fi

case "$host" in
  unix://*) ;;
  *)
    echo "docker: no daemon answers at DOCKER_HOST=$host (a remote daemon; not starting a local one)" >&2
    exit 1
    ;;
esac

if ! command -v dockerd >/dev/null 2>&1 || [ ! -x "$docker" ]; then
  echo "docker: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq docker.io >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq docker.io >/dev/null
  fi
fi

socket="${host#unix://}"
if [ "$socket" != /var/run/docker.sock ]; then
  echo "docker: DOCKER_HOST=$host is not the default socket; starting dockerd on it"
fi
echo "docker: starting dockerd (log: $log)"
setsid nohup dockerd --host "unix://$socket" >"$log" 2>&1 < /dev/null &

for _ in $(seq 1 60); do
  if answers; then
    echo "docker: daemon answers at $host"
    exit 0
  fi
  sleep 1
done
echo "docker: dockerd did not answer within 60s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
