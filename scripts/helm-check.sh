#!/usr/bin/env bash
# Checks the Helm chart offline: helm lint --strict, then helm template for every values case in
# helm/flowgate/ci/, each rendered object validated by kubeconform against strict JSON schemas of a
# pinned Kubernetes version. The schemas are generated from the OpenAPI spec in the k8s.io/kubernetes
# module (fetched through the Go module proxy) by scripts/k8s-schemas.mjs, cached in .tools/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
K8S_VERSION="1.31.4"
CHART="helm/flowgate"

bash scripts/tools.sh helm kubeconform
HELM="$ROOT/.tools/bin/helm"
KUBECONFORM="$ROOT/.tools/bin/kubeconform"

SCHEMAS="$ROOT/.tools/k8s-schemas/v$K8S_VERSION"
if [ ! -f "$SCHEMAS/.complete" ]; then
  echo "helm-check: generating Kubernetes $K8S_VERSION schemas (first time only) ..." >&2
  work="$(mktemp -d)"
  module_dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  rm -rf "$work" "$SCHEMAS"
  node scripts/k8s-schemas.mjs "$module_dir/api/openapi-spec/swagger.json" "$SCHEMAS"
  touch "$SCHEMAS/.complete"
fi

"$HELM" lint --strict "$CHART" >/dev/null
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
for values in "$CHART"/ci/*-values.yaml; do
  name="$(basename "$values")"
  "$HELM" lint --strict "$CHART" -f "$values" >/dev/null
  "$HELM" template flowgate "$CHART" -f "$values" --kube-version "$K8S_VERSION" > "$rendered/$name"
  "$KUBECONFORM" -strict -summary -output text \
    -schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$rendered/$name" > "$rendered/$name.out" \
    || { cat "$rendered/$name.out"; echo "helm: $name: INVALID" >&2; exit 1; }
  count="$(grep -c '^kind:' "$rendered/$name")"
  echo "helm: $name: $count objects valid (Kubernetes $K8S_VERSION schemas)"
done
