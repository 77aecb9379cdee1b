#!/usr/bin/env bash
# What `make kind` runs: a kind cluster named polyshop with a local image registry, ready for
# `tilt up`. With ctlptl on PATH it applies kind/cluster.yaml; without it, it follows kind's own
# registry recipe (https://kind.sigs.k8s.io/docs/user/local-registry/). Safe to run again: what
# exists is kept, what is missing is created.
set -euo pipefail
# Only shell builtins until the tools are checked, so a bare machine still gets the list below.
case "${BASH_SOURCE[0]}" in */*) cd "${BASH_SOURCE[0]%/*}/.." ;; *) cd .. ;; esac

CLUSTER=polyshop
CONTEXT="kind-$CLUSTER" # the Tiltfile allows this context and no other
NAMESPACE=polyshop
# The recipe's names, kept verbatim so its documentation matches what `docker ps` shows.
REGISTRY=kind-registry
REGISTRY_PORT=5001

declare -A INSTALL=(
  [docker]="https://docs.docker.com/engine/install/"
  [kind]="https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  [kubectl]="https://kubernetes.io/docs/tasks/tools/"
  [ctlptl]="https://github.com/tilt-dev/ctlptl#how-do-i-install-it"
  [tilt]="https://docs.tilt.dev/install.html"
  [helm]="https://helm.sh/docs/intro/install/"
)

missing=()
for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "make kind: missing ${missing[*]}. Install:" >&2
  for tool in "${missing[@]}"; do echo "  $tool  ${INSTALL[$tool]}" >&2; done
  echo "  (ctlptl is optional but recommended: ${INSTALL[ctlptl]})" >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "make kind: docker is installed but its daemon is not answering." >&2
  echo "  Start Docker Desktop, or the service (sudo systemctl start docker), and run it again." >&2
  exit 1
fi

cluster_exists() {
  local name
  while read -r name; do [[ $name == "$CLUSTER" ]] && return 0; done < <(kind get clusters 2>/dev/null)
  return 1
}

kind_with_registry() {
  case "$(docker inspect -f '{{.State.Running}}' "$REGISTRY" 2>/dev/null || true)" in
    true) ;;
    false) docker start "$REGISTRY" >/dev/null ;;
    *) docker run -d --restart=always -p "127.0.0.1:$REGISTRY_PORT:5000" --network bridge \
      --name "$REGISTRY" registry:3 >/dev/null ;;
  esac
  # config_path lets containerd read the hosts.toml below (node images before kind v0.27 need it).
  cluster_exists || kind create cluster --name "$CLUSTER" --config - <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
EOF
  # localhost inside a node is the node: alias localhost:PORT to the registry container instead.
  local node dir="/etc/containerd/certs.d/localhost:$REGISTRY_PORT"
  for node in $(kind get nodes --name "$CLUSTER"); do
    docker exec "$node" mkdir -p "$dir"
    echo "[host.\"http://$REGISTRY:5000\"]" | docker exec -i "$node" cp /dev/stdin "$dir/hosts.toml"
  done
  if [[ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY")" == null ]]; then
    docker network connect kind "$REGISTRY"
  fi
  # KEP-1755: how Tilt learns where to push, with no default_registry() in the Tiltfile.
  kubectl --context "$CONTEXT" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:$REGISTRY_PORT"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
EOF
}

if command -v ctlptl >/dev/null 2>&1; then
  ctlptl apply -f kind/cluster.yaml
else
  echo "ctlptl not found: following kind's registry recipe instead (ctlptl: ${INSTALL[ctlptl]})"
  kind_with_registry
fi
# Also repairs a kubeconfig that lost the context; Tilt deploys to whichever context is current.
kind export kubeconfig --name "$CLUSTER" >/dev/null 2>&1

# Tilt's helm(namespace=) puts every object in the namespace but does not create it (helm --create-
# namespace has no `helm template` counterpart). Restricted is enforced as in the chart's contract,
# so a pod that would be refused in production is refused here first.
kubectl --context "$CONTEXT" create namespace "$NAMESPACE" --dry-run=client -o yaml |
  kubectl --context "$CONTEXT" apply -f - >/dev/null
kubectl --context "$CONTEXT" label --overwrite namespace "$NAMESPACE" \
  pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted >/dev/null

echo "kind cluster '$CLUSTER' is up (context $CONTEXT, namespace $NAMESPACE)."
for tool in tilt helm; do
  command -v "$tool" >/dev/null 2>&1 || echo "  still missing for tilt up: $tool  ${INSTALL[$tool]}"
done
echo "Next: tilt up   (then open http://localhost:10350)"
