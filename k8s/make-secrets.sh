#!/bin/sh
# Writes k8s/secrets.env (git-ignored), from which kustomization.yaml generates the Secret
# polyshop-secrets: every credential the manifests read. Run it once before the first
# `kubectl apply -k k8s/`. It never overwrites the file: PostgreSQL keeps the passwords it was
# first started with, so new ones would lock the services out of their databases.
# Usage: k8s/make-secrets.sh [output file]    (needs openssl)
set -eu
out=${1:-"$(dirname "$0")/secrets.env"}
if [ -e "$out" ]; then
  echo "$out exists; keeping it. Delete it (and the PostgreSQL volume) to start afresh." >&2
  exit 1
fi
command -v openssl >/dev/null || { echo "make-secrets.sh needs openssl" >&2; exit 1; }

secret() { openssl rand -hex 24; }

umask 077
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
  echo "postgres-password=$(secret)"
  echo "redis-password=$(secret)"
  echo "staff-password=$(secret)"
  for app in catalog inventory orders payments users; do
    echo "db-password-$app=$(secret)"
  done
  for app in cart catalog inventory notifications orders payments storefront users; do
    echo "client-secret-$app=$(secret)"
  done
  for app in orders storefront; do
    echo "secret-key-$app=$(secret)"
  done
  # An env file holds one line per key: the PEM's line breaks become literal \n, which users
  # turns back into line breaks.
  printf 'jwt-private-key=%s\n' "$(openssl genpkey -algorithm ed25519 | awk '{ printf "%s\\n", $0 }')"
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out; the staff password (staff@polyshop.local) is its staff-password line."
