{{/*
Names, labels and the shared pieces of every Flowgate workload. A template that adds an object per
service (HPA, PodDisruptionBudget, ServiceMonitor, ...) ranges over "flowgate.components" and names it
with "flowgate.componentName", so every service is handled the same way.
*/}}

{{- define "flowgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "flowgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The services and their ports: every one also has the ops port (metrics, probes). */}}
{{- define "flowgate.components" -}}
ingress: { http: 8080 }
execution: { grpc: 50051 }
scheduler: { grpc: 50052 }
callback: {}
{{- end -}}

{{- define "flowgate.opsPort" -}}9464{{- end -}}

{{/* The ingress's management API listener (FLOWGATE_MANAGEMENT_PORT), when ingress.management.enabled. */}}
{{- define "flowgate.managementPort" -}}8081{{- end -}}

{{/* Object name of one service: include "flowgate.componentName" (list $ "ingress") */}}
{{- define "flowgate.componentName" -}}
{{- printf "%s-%s" (include "flowgate.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "flowgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "flowgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flowgate
{{- end -}}

{{/* Labels of one service's objects: include "flowgate.componentLabels" (list $ "ingress") */}}
{{- define "flowgate.componentLabels" -}}
{{ include "flowgate.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Selector labels of one service: include "flowgate.selectorLabels" (list $ "ingress") */}}
{{- define "flowgate.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "flowgate.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "flowgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "flowgate.secretName" -}}
{{- default (printf "%s-secrets" (include "flowgate.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{/* Base of webhook URLs: ingress.publicUrl, else the in-cluster ingress Service. */}}
{{- define "flowgate.publicUrl" -}}
{{- if .Values.ingress.publicUrl -}}
{{- .Values.ingress.publicUrl | trimSuffix "/" -}}
{{- else -}}
{{- $port := int .Values.ingress.service.port -}}
{{- printf "http://%s.%s.svc%s" (include "flowgate.componentName" (list . "ingress")) .Release.Namespace (ternary "" (printf ":%d" $port) (eq $port 80)) -}}
{{- end -}}
{{- end -}}

{{/*
Changes whenever what the Secret holds may change, so pods roll and read the new values. Computed from
the values (not the rendered Secret, whose generated keys differ on every render without a cluster).
*/}}
{{- define "flowgate.secretChecksum" -}}
{{- $c := .Values.config -}}
{{- list .Values.existingSecret .Values.mongodb.uri $c.bootstrapApiKey $c.encryptionKey $c.callbackSigningSecret | toJson | sha256sum -}}
{{- end -}}

{{- define "flowgate.secretEnv" -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "flowgate.secretName" (index . 1) }}
      key: {{ index . 2 }}
      {{- if gt (len .) 3 }}
      optional: {{ index . 3 }}
      {{- end }}
{{- end -}}

{{/* Grace period: the preStop sleep, the services' own drain bound, and 5 s for the process to exit. */}}
{{- define "flowgate.terminationGracePeriodSeconds" -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.drainSeconds 5 -}}
{{- end -}}

{{/*
"true" when something else owns the replica count of a service: the ingress HPA, or the execution
ScaledObject (only where KEDA's API exists, else the Deployment keeps its replicas).
include "flowgate.autoscaled" (list $ "execution")
*/}}
{{- define "flowgate.autoscaled" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- if and (eq $component "ingress") $root.Values.ingress.autoscaling.enabled -}}
true
{{- else if and (eq $component "execution") (include "flowgate.kedaEnabled" $root) -}}
true
{{- end -}}
{{- end -}}

{{- define "flowgate.kedaEnabled" -}}
{{- if and .Values.execution.keda.enabled (include "flowgate.hasApi" (list . "keda.sh/v1alpha1" "ScaledObject")) -}}
true
{{- end -}}
{{- end -}}

{{/* Environment of one service besides the ConfigMap's: include "flowgate.env" (list $ "ingress" $ports) */}}
{{- define "flowgate.env" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $ports := index . 2 -}}
{{ include "flowgate.secretEnv" (list "MONGO_URL" $root "mongodb-uri") }}
{{- if hasKey $ports "http" }}
- name: FLOWGATE_HTTP_PORT
  value: {{ $ports.http | quote }}
{{- end }}
{{- if hasKey $ports "grpc" }}
- name: FLOWGATE_GRPC_PORT
  value: {{ $ports.grpc | quote }}
{{- end }}
{{- if eq $component "ingress" }}
{{- if $root.Values.ingress.management.enabled }}
- name: FLOWGATE_MANAGEMENT_PORT
  value: {{ include "flowgate.managementPort" $root | quote }}
{{- end }}
- name: FLOWGATE_EXECUTION_GRPC_URL
  value: {{ printf "%s:%v" (include "flowgate.componentName" (list $root "execution")) (get (include "flowgate.components" $root | fromYaml).execution "grpc") | quote }}
- name: FLOWGATE_SCHEDULER_GRPC_URL
  value: {{ printf "%s:%v" (include "flowgate.componentName" (list $root "scheduler")) (get (include "flowgate.components" $root | fromYaml).scheduler "grpc") | quote }}
{{ include "flowgate.secretEnv" (list "FLOWGATE_BOOTSTRAP_API_KEY" $root "bootstrap-api-key" true) }}
{{ include "flowgate.secretEnv" (list "FLOWGATE_ENCRYPTION_KEY" $root "encryption-key") }}
{{- end }}
{{- if eq $component "callback" }}
{{ include "flowgate.secretEnv" (list "FLOWGATE_CALLBACK_SIGNING_SECRET" $root "callback-signing-secret") }}
{{ include "flowgate.secretEnv" (list "FLOWGATE_ENCRYPTION_KEY" $root "encryption-key") }}
{{- end }}
{{- with (index $root.Values $component).env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The release's pods (every service, and the helm test Pod): what the default-deny policy selects. */}}
{{- define "flowgate.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "flowgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
"true" where the cluster serves an API: include "flowgate.hasApi" (list $ "monitoring.coreos.com/v1" "ServiceMonitor").
A cluster lists both "group/version" and "group/version/Kind"; `helm template --api-versions` takes either.
*/}}
{{- define "flowgate.hasApi" -}}
{{- $caps := (index . 0).Capabilities.APIVersions -}}
{{- if or ($caps.Has (printf "%s/%s" (index . 1) (index . 2))) ($caps.Has (index . 1)) -}}
true
{{- end -}}
{{- end -}}

{{/*
Affinity of one service's pods: its own affinity when set, else the default podAntiAffinity against
the other replicas of the same service (soft: preferred, hard: required, none: no rule).
include "flowgate.affinity" (list $ "ingress")
*/}}
{{- define "flowgate.affinity" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $own := (index $root.Values $component).affinity -}}
{{- $anti := $root.Values.podAntiAffinity -}}
{{- if $own -}}
{{ toYaml $own }}
{{- else if eq $anti.type "soft" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: {{ $anti.weight }}
      podAffinityTerm:
        topologyKey: {{ $anti.topologyKey }}
        labelSelector:
          matchLabels:
            {{- include "flowgate.selectorLabels" (list $root $component) | nindent 12 }}
{{- else if eq $anti.type "hard" -}}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: {{ $anti.topologyKey }}
      labelSelector:
        matchLabels:
          {{- include "flowgate.selectorLabels" (list $root $component) | nindent 10 }}
{{- end -}}
{{- end -}}

{{/* FLOWGATE_NATS_REPLICAS: nats.cluster.replicas on a NATS cluster, else 1. */}}
{{- define "flowgate.natsReplicas" -}}
{{- if .Values.nats.cluster.enabled -}}
{{- .Values.nats.cluster.replicas -}}
{{- else -}}
1
{{- end -}}
{{- end -}}
