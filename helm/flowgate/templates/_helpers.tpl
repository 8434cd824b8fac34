{{/* Names, labels and the shared pieces of every Flowgate workload. */}}

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

{{- define "flowgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "flowgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flowgate
{{- end -}}

{{/* Selector labels of one component: include "flowgate.selectorLabels" (list $ "ingress") */}}
{{- define "flowgate.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "flowgate.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "flowgate.secretName" -}}
{{- default (printf "%s-secrets" (include "flowgate.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "flowgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "flowgate.publicUrl" -}}
{{- default (printf "http://%s-ingress" (include "flowgate.fullname" .)) .Values.config.publicUrl -}}
{{- end -}}

{{/* Ports of each component: the ops port (metrics, probes) on all, plus http or grpc. */}}
{{- define "flowgate.components" -}}
ingress: { http: 8080 }
execution: { grpc: 50051 }
scheduler: { grpc: 50052 }
callback: {}
{{- end -}}
