#!/usr/bin/env bash
# pip-audit on uv.lock: every pinned package of the workspace (all members, all groups), with
# its hashes, checked against the advisories of PyPI (or OSV: PIP_AUDIT_SERVICE=osv). A known
# vulnerability fails the run unless .pip-audit-ignore lists its ID with a reason.
#
# The audit needs the advisory service. A pin with published advisories (the canary) is asked
# about first: when it comes back clean or unanswered, the service is out of reach and nothing
# was audited, which fails the run in CI (and is SKIPPED, loudly, elsewhere) rather than passing.
# Usage: UV=path/to/uv scripts/audit-lock.sh
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
SERVICE=${PIP_AUDIT_SERVICE:-pypi}
IGNORE_FILE=.pip-audit-ignore
CANARY="requests==2.31.0"  # CVE-2024-35195 (GHSA-9wx4-h78v-vm56), among others
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

audit() {
  timeout 300 "$UV" run --frozen --no-sync pip-audit --disable-pip --strict \
    --vulnerability-service "$SERVICE" --timeout 15 --progress-spinner off "$@"
}

echo "$CANARY" >"$scratch/canary.txt"
canary=$(audit --no-deps -r "$scratch/canary.txt" 2>&1 || true)
if ! grep -qE '(GHSA|PYSEC|CVE)-[0-9A-Za-z-]+' <<<"$canary"; then
  echo "pip-audit: the advisory service ($SERVICE) did not report the known vulnerabilities of"
  echo "  $CANARY, so it cannot be trusted to report any: NOTHING WAS AUDITED. What it said:"
  sed 's/^/    /' <<<"$canary" | tail -5
  echo "  Run where PyPI's JSON API (https://pypi.org/pypi/<name>/<version>/json) or api.osv.dev"
  echo "  answers; PIP_AUDIT_SERVICE=osv picks the other."
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "SKIPPED pip-audit (not in CI)."
  exit 0
fi

# Each line of the ignore file: an advisory ID, then `# why it does not matter here`.
ignores=()
while IFS= read -r line || [ -n "$line" ]; do
  id=$(sed 's/#.*//; s/[[:space:]]//g' <<<"$line")
  [ -z "$id" ] && continue
  reason=$(sed -n 's/^[^#]*#[[:space:]]*//p' <<<"$line")
  if [ -z "$reason" ]; then
    echo "$IGNORE_FILE: $id is ignored without a reason (write one after a #)"
    exit 1
  fi
  ignores+=(--ignore-vuln "$id")
done < <(grep -v '^[[:space:]]*#' "$IGNORE_FILE")

"$UV" export --frozen --all-packages --no-emit-workspace --format requirements-txt --quiet \
  -o "$scratch/requirements.txt"
echo "pip-audit: $(grep -c '^[a-z0-9]' "$scratch/requirements.txt") pinned packages from uv.lock"
audit --require-hashes -r "$scratch/requirements.txt" "${ignores[@]}"
