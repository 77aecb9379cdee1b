#!/usr/bin/env bash
# `make observe`: Prometheus (Debian's package) scraping the store that `make up` runs, with the
# cluster's rules and exemplar storage, its data in a temporary folder removed on exit.
# PROMETHEUS_PORT (default 9090) moves it; Ctrl-C stops it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="$repo/observability/prometheus/prometheus.local.yml"
port="${PROMETHEUS_PORT:-9090}"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! command -v prometheus >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's prometheus package (it is not started as a service)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null; }
  else
    echo "make observe needs Prometheus 2.x on PATH: sudo apt-get install --no-install-recommends prometheus" >&2
    echo "(Debian and Ubuntu; elsewhere, a release from prometheus.io)" >&2
    exit 1
  fi
fi
if answers "$port"; then
  echo "port $port is taken: stop what holds it, or set PROMETHEUS_PORT" >&2
  exit 1
fi
if ! answers 8080; then
  echo "note: the store is not answering on 127.0.0.1:8080 yet; start it with \`make up\`" >&2
fi

data="$(mktemp -d -t polyshop-prometheus.XXXXXX)"
prometheus \
  --config.file="$config" \
  --storage.tsdb.path="$data" \
  --web.listen-address="127.0.0.1:$port" \
  --enable-feature=exemplar-storage \
  --log.level=warn &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
trap 'exit 0' INT TERM

for _ in $(seq 100); do
  answers "$port" && break
  kill -0 "$pid" 2>/dev/null || { echo "prometheus did not start" >&2; exit 1; }
  sleep 0.1
done
printf '\n  Prometheus: http://127.0.0.1:%s/  (targets /targets, alerts /alerts, rules /rules)\n' "$port"
printf '  data in %s, removed when you stop it (Ctrl-C)\n\n' "$data"
wait "$pid"
