#!/usr/bin/env bash
# Regenerates the JSON Schemas in this folder (index.json, kubernetes.json,
# crds/*.json) from upstream sources fetched through the ordinary registries:
#   Kubernetes     k8s.io/kubernetes v1.34.1 (Go module)            api/openapi-spec/swagger.json
#   CloudNativePG  github.com/cloudnative-pg/cloudnative-pg v1.27.0 config/crd/bases/*.yaml
#   Argo CD        github.com/argoproj/argo-cd/v3 v3.6.1            manifests/crds/*.yaml
#   Prometheus Op. github.com/prometheus-operator/prometheus-operator v0.85.0 example/prometheus-operator-crd/*.yaml
#   ESO            github.com/external-secrets/external-secrets v1.3.2 config/crds/bases/*.yaml
#   Strimzi        io.strimzi:api 0.48.0 (Maven Central), CRD schemas derived from
#                  its model classes with Jackson (strimzi/StrimziCrds.java)
# Run from the repo root:  bash k8s/test/schemas/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
source scripts/ensure-node.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod

# Prints the module's zip path; modules are unzipped by hand because some
# declare a newer go directive than the local toolchain (argo-cd).
module_zip() { go mod download -json "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Zip))'; }
unpack() { # module@version, then paths inside the module
  local mod="$1"; shift
  local zip; zip="$(module_zip "$mod")"
  local prefix="${mod}/"
  for p in "$@"; do unzip -q -o "$zip" "${mod}/${p}" -d "$work/src"; done
  echo "$work/src/${prefix}"
}

k8s="$(unpack k8s.io/kubernetes@v1.34.1 api/openapi-spec/swagger.json)"
cnpg="$(unpack github.com/cloudnative-pg/cloudnative-pg@v1.27.0 'config/crd/bases/postgresql.cnpg.io_clusters.yaml' 'config/crd/bases/postgresql.cnpg.io_scheduledbackups.yaml')"
argo="$(unpack github.com/argoproj/argo-cd/v3@v3.6.1 'manifests/crds/*-crd.yaml')"
prom="$(unpack github.com/prometheus-operator/prometheus-operator@v0.85.0 'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml' 'example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml' 'example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml')"
eso="$(unpack github.com/external-secrets/external-secrets@v1.3.2 'config/crds/bases/external-secrets.io_externalsecrets.yaml')"

mkdir -p "$work/strimzi"
(cd "$here/strimzi" && mvn -q dependency:build-classpath -Dmdep.outputFile="$work/strimzi.cp")
java -cp "$(cat "$work/strimzi.cp")" "$here/strimzi/StrimziCrds.java" "$work/strimzi" 2>/dev/null

rm -rf "$here/crds"
FXCORE_SCHEMA_SOURCES="$(cat <<JSON
{
  "kubernetes": "k8s.io/kubernetes@v1.34.1 api/openapi-spec/swagger.json (Go module proxy)",
  "postgresql.cnpg.io": "github.com/cloudnative-pg/cloudnative-pg@v1.27.0 config/crd/bases (Go module proxy)",
  "argoproj.io": "github.com/argoproj/argo-cd/v3@v3.6.1 manifests/crds (Go module proxy)",
  "monitoring.coreos.com": "github.com/prometheus-operator/prometheus-operator@v0.85.0 example/prometheus-operator-crd (Go module proxy)",
  "external-secrets.io": "github.com/external-secrets/external-secrets@v1.3.2 config/crds/bases (Go module proxy)",
  "kafka.strimzi.io": "io.strimzi:api:0.48.0 (Maven Central), model classes read with Jackson (strimzi/StrimziCrds.java)"
}
JSON
)" node k8s/src/schema/extract.ts "$here" "$k8s/api/openapi-spec/swagger.json" \
  "$cnpg"/config/crd/bases/*.yaml "$argo"/manifests/crds/*-crd.yaml \
  "$prom"/example/prometheus-operator-crd/*.yaml "$eso"/config/crds/bases/*.yaml \
  "$work"/strimzi/*.yml
echo "schemas written to $here"
