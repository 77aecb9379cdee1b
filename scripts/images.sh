#!/usr/bin/env bash
# `make images`: builds every service's image with your Docker, tagged polyshop/<service>:<version>
# (the version in the service's pyproject.toml, which the chart's appVersion follows).
#   PYTHON_IMAGE=...        the base image (default: the Dockerfiles' python:3.13-slim)
#   TARGET=dev              Tilt's live-update target instead of the runtime; tagged <version>-dev
#   SERVICES="cart orders"  only these
#   NETWORK=host            the network the builds' RUN steps use (default: Docker's own)
#   DOCKER=/path/to/docker  the client (default: one that can drive BuildKit)
set -euo pipefail
cd "$(dirname "$0")/.."

services=${SERVICES:-storefront catalog cart orders payments notifications users inventory loadgen}
target=${TARGET:-runtime}
# RUN --mount (the uv cache shared by the eight builds) needs BuildKit: a client with the buildx
# plugin, or Debian's docker.io client, which drives the daemon's BuildKit itself.
export DOCKER_BUILDKIT=1
docker=${DOCKER:-}
if [ -z "$docker" ]; then
  if docker buildx version >/dev/null 2>&1 || [ ! -x /usr/bin/docker ]; then
    docker=docker
  else
    docker=/usr/bin/docker
  fi
fi
if ! "$docker" version >/dev/null 2>&1; then
  echo "images: no Docker daemon answers '$docker version' (start Docker, or set DOCKER_HOST)" >&2
  exit 1
fi

build_args=(--target "$target")
[ -n "${PYTHON_IMAGE:-}" ] && build_args+=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
[ -n "${NETWORK:-}" ] && build_args+=(--network "$NETWORK")

for service in $services; do
  folder="services/$service"
  if [ "$service" = loadgen ]; then
    # Locust has no reloader, so the load generator has no dev target (Tilt rebuilds it).
    [ "$target" = dev ] && continue
    folder=loadgen
  fi
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$folder/pyproject.toml" | head -n 1)
  tag="polyshop/$service:$version"
  [ "$target" = dev ] && tag="$tag-dev"
  echo "── $tag"
  "$docker" build "${build_args[@]}" --file "$folder/Dockerfile" --tag "$tag" .
done
