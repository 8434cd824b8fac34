#!/usr/bin/env bash
# Checks the Helm chart, offline:
#   1. helm lint --strict, with the defaults and with every helm/flowgate/ci/*-values.yaml;
#   2. values.schema.json is closed: an unknown value (--set ingress.replicaz=2) must fail to render;
#   3. the README's values table is up to date, every value documented and in the schema
#      (scripts/helm-values-table.mjs), the dashboards match their generator (scripts/grafana-dashboards.mjs);
#   4. the alerts (helm/flowgate/rules/*.yaml): promtool check rules, promtool test rules
#      (test/prometheus/*.test.yaml), and every alert has a test;
#   5. helm template for every ci/*-values.yaml case and each pinned Kubernetes version, with the
#      monitoring.coreos.com/v1 and keda.sh/v1alpha1 APIs present, every rendered object validated by
#      kubeconform -strict against that version's JSON schemas, and the CRD kinds (ServiceMonitor,
#      PrometheusRule, ScaledObject) against the hand-written schemas in helm/schemas/.
# The schemas come from the OpenAPI spec inside the k8s.io/kubernetes Go module (fetched through the
# Go module proxy, like helm and kubeconform themselves: see scripts/tools.sh), converted by
# scripts/k8s-schemas.mjs and cached in .tools/k8s-schemas/ per version and converter revision.
# Versions: the oldest the chart supports and the newest; override with
# FLOWGATE_K8S_VERSIONS="1.33.13 ...". Exits non-zero on any lint, render or validation failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CHART="helm/flowgate"
read -r -a K8S_VERSIONS <<< "${FLOWGATE_K8S_VERSIONS:-1.30.14 1.37.2}"
started=$SECONDS

bash scripts/tools.sh helm kubeconform prometheus
HELM="$ROOT/.tools/bin/helm"
KUBECONFORM="$ROOT/.tools/bin/kubeconform"
# CRD APIs the chart renders objects for where they exist (else it skips them: test/helm/chart.test.ts).
API_VERSIONS=(--api-versions monitoring.coreos.com/v1 --api-versions keda.sh/v1alpha1)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "helm-check: FAILED: $*" >&2
  failures=$((failures + 1))
}
# Runs a command quietly; shows its output only when it fails.
quiet() {
  local out
  if ! out="$("$@" 2>&1)"; then
    echo "$out" >&2
    return 1
  fi
}

# schemas_dir VERSION: prints the folder of that version's schemas, generating them on first use.
schemas_dir() {
  local version="$1" converter dir spec_json module_dir
  converter="$(sha256sum scripts/k8s-schemas.mjs | cut -c1-12)"
  dir="$ROOT/.tools/k8s-schemas/v$version-standalone-strict-$converter"
  if [ ! -f "$dir/.complete" ]; then
    echo "helm-check: generating Kubernetes $version schemas (first time only) ..." >&2
    spec_json="$work/module-$version.json"
    # Outside any Go module; -json reports errors in the output, so print it on failure.
    if ! (cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$version" > "$spec_json"); then
      cat "$spec_json" >&2
      echo "helm-check: could not download k8s.io/kubernetes@v$version through the Go module proxy" >&2
      return 1
    fi
    module_dir="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).Dir)' "$spec_json")"
    rm -rf "$ROOT/.tools/k8s-schemas/v$version-"*
    node scripts/k8s-schemas.mjs "$module_dir/api/openapi-spec/swagger.json" "$dir.partial" >&2
    mv "$dir.partial" "$dir"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

declare -A SCHEMAS
for version in "${K8S_VERSIONS[@]}"; do
  SCHEMAS[$version]="$(schemas_dir "$version")"
done

quiet "$HELM" lint --strict "$CHART" || fail "helm lint --strict $CHART"

# The schema must reject an unknown value, and for that reason (not any other render error).
typo_out="$("$HELM" template flowgate "$CHART" --set ingress.replicaz=2 2>&1 || true)"
if ! grep -q "additional properties 'replicaz' not allowed" <<< "$typo_out"; then
  echo "$typo_out" | tail -5 >&2
  fail "values.schema.json did not reject the unknown value ingress.replicaz (every object needs additionalProperties: false)"
fi

quiet node scripts/helm-values-table.mjs --check || fail "helm/flowgate/README.md values table (node scripts/helm-values-table.mjs)"
quiet node scripts/grafana-dashboards.mjs --check || fail "dashboards differ from scripts/grafana-dashboards.mjs (run it)"

# Alerts: valid rules, unit tests pass, and no alert without a test.
for rules in "$CHART"/rules/*.yaml; do
  quiet promtool check rules "$rules" || fail "promtool check rules $rules"
done
for tests in test/prometheus/*.test.yaml; do
  if out="$(cd "$(dirname "$tests")" && promtool test rules "$(basename "$tests")" 2>&1)"; then
    echo "promtool: $tests: $(grep -c 'alertname:' "$tests") alert checks passed"
  else
    echo "$out" >&2
    fail "promtool test rules $tests"
  fi
done
for alert in $(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$CHART"/rules/*.yaml); do
  grep -qE "alertname: +$alert\$" test/prometheus/*.test.yaml || fail "alert $alert has no promtool test in test/prometheus/"
done

for values in "$CHART"/ci/*-values.yaml; do
  name="$(basename "$values")"
  quiet "$HELM" lint --strict "$CHART" -f "$values" || { fail "helm lint --strict -f $values"; continue; }
  counts=()
  for version in "${K8S_VERSIONS[@]}"; do
    rendered="$work/$name-$version.yaml"
    if ! "$HELM" template flowgate "$CHART" --namespace flowgate -f "$values" --kube-version "$version" "${API_VERSIONS[@]}" > "$rendered"; then
      fail "helm template -f $values --kube-version $version"
      continue
    fi
    report="$work/$name-$version.out"
    "$KUBECONFORM" -strict -summary -output text -kubernetes-version "$version" \
      -schema-location "${SCHEMAS[$version]}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      -schema-location "$ROOT/helm/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$rendered" > "$report" 2>&1 || true
    summary="$(grep '^Summary:' "$report" || true)"
    found="" valid="" invalid="" errors="" skipped=""
    read -r found valid invalid errors skipped < <(sed -n \
      's/^Summary: \([0-9]*\) resources\{0,1\} found.* Valid: \([0-9]*\), Invalid: \([0-9]*\), Errors: \([0-9]*\), Skipped: \([0-9]*\).*/\1 \2 \3 \4 \5/p' \
      <<< "$summary") || true
    if [ -z "${valid:-}" ] || [ "$valid" -eq 0 ] || [ "$valid" -ne "$found" ] || [ $((invalid + errors + skipped)) -ne 0 ]; then
      cat "$report" >&2
      fail "$name: kubeconform against Kubernetes $version schemas"
      continue
    fi
    counts+=("$valid")
  done
  if [ "${#counts[@]}" -eq "${#K8S_VERSIONS[@]}" ]; then
    # One count when every version renders the same objects, else one per version.
    shown="$(printf '%s\n' "${counts[@]}" | sort -u | paste -sd/)"
    kinds="$(grep -h '^kind:' "$work/$name-${K8S_VERSIONS[-1]}.yaml" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $3; sep=", "}')"
    echo "helm: $name: $shown objects valid (Kubernetes ${K8S_VERSIONS[*]}): $kinds"
  fi
done

if [ "$failures" -ne 0 ]; then
  echo "helm-check: $failures check(s) failed" >&2
  exit 1
fi
echo "helm-check: chart ok ($((SECONDS - started)) s)"
