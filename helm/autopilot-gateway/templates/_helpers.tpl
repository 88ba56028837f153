{{/* Names, labels and derived values shared by the templates. */}}

{{- define "autopilot-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name: <release>-<chart>, or <release> when it already contains the chart name. */}}
{{- define "autopilot-gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "autopilot-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the release's pods; they never change across upgrades. */}}
{{- define "autopilot-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "autopilot-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "autopilot-gateway.labels" -}}
helm.sh/chart: {{ include "autopilot-gateway.chart" . }}
{{ include "autopilot-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ include "autopilot-gateway.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: gateway
app.kubernetes.io/part-of: autopilot-gateway
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "autopilot-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "autopilot-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "autopilot-gateway.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/* repository@digest when a digest is given, else repository:tag. */}}
{{- define "autopilot-gateway.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "autopilot-gateway.imageTag" .) }}
{{- end }}
{{- end }}

{{/* Pods that run at least: what a PodDisruptionBudget can protect. */}}
{{- define "autopilot-gateway.minPods" -}}
{{- if .Values.autoscaling.enabled }}
{{- .Values.autoscaling.minReplicas }}
{{- else }}
{{- .Values.replicaCount }}
{{- end }}
{{- end }}

{{/* The shutdown grace of the gateway in whole seconds, rounded up. */}}
{{- define "autopilot-gateway.shutdownGraceSeconds" -}}
{{- ceil .Values.config.shutdownGraceSeconds | int }}
{{- end }}

{{/*
The pod's termination grace period: the preStop sleep, then the gateway's shutdown grace,
then a margin for the process to exit. An explicit value must cover the first two.
*/}}
{{- define "autopilot-gateway.terminationGracePeriodSeconds" -}}
{{- $needed := add .Values.preStopSleepSeconds (include "autopilot-gateway.shutdownGraceSeconds" . | atoi) }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $needed .Values.terminationGraceMarginSeconds }}
{{- else if lt (int .Values.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds + config.shutdownGraceSeconds (%d): the pod would be killed while it still drains requests" (int .Values.terminationGracePeriodSeconds) (int $needed)) }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/* The variable of a `config` key: awsRegion -> GATEWAY_AWS_REGION. */}}
{{- define "autopilot-gateway.configEnvName" -}}
{{- printf "GATEWAY_%s" (snakecase . | upper) }}
{{- end }}

{{/*
One config value as an environment variable's value: lists and maps as JSON, strings as they
are, numbers without float formatting, booleans as true/false.
*/}}
{{- define "autopilot-gateway.envValue" -}}
{{- if or (kindIs "slice" .) (kindIs "map" .) }}
{{- toJson . }}
{{- else if kindIs "float64" . }}
{{- if eq (float64 (int64 .)) . }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else }}
{{- . }}
{{- end }}
{{- end }}

{{/* The ConfigMap holding the trusted documents' manifest, if any: the given one or the chart's. */}}
{{- define "autopilot-gateway.trustedDocumentsConfigMap" -}}
{{- if .Values.trustedDocuments.existingConfigMap }}
{{- .Values.trustedDocuments.existingConfigMap }}
{{- else if not (kindIs "invalid" .Values.trustedDocuments.manifest) }}
{{- printf "%s-trusted-documents" (include "autopilot-gateway.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "autopilot-gateway.trustedDocumentsDir" -}}
/etc/autopilot-gateway/trusted-documents
{{- end }}

{{/* GATEWAY_TRUSTED_DOCUMENTS: config.trustedDocuments, else the mounted manifest, if any. */}}
{{- define "autopilot-gateway.trustedDocumentsPath" -}}
{{- if .Values.config.trustedDocuments }}
{{- .Values.config.trustedDocuments }}
{{- else if include "autopilot-gateway.trustedDocumentsConfigMap" . }}
{{- printf "%s/%s" (include "autopilot-gateway.trustedDocumentsDir" .) .Values.trustedDocuments.key }}
{{- end }}
{{- end }}

{{/* Checks across values that the schema cannot express. */}}
{{- define "autopilot-gateway.validate" -}}
{{- if and (gt (int (include "autopilot-gateway.minPods" .)) 1) (not .Values.cursorSecret.existingSecret) }}
{{- fail "cursorSecret.existingSecret is required with more than one replica: without a shared key each pod signs cursors with its own random key, and the others refuse them" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (not .Values.cursorSecret.existingSecret) }}
{{- fail "cursorSecret.existingSecret is required with autoscaling: without a shared key each pod signs cursors with its own random key, and the others refuse them" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "autoscaling.maxReplicas must be at least autoscaling.minReplicas" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (kindIs "invalid" .Values.autoscaling.targetCPUUtilizationPercentage) (kindIs "invalid" .Values.autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail "autoscaling needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" }}
{{- end }}
{{- range $key, $value := .Values.config }}
{{- $name := include "autopilot-gateway.configEnvName" $key }}
{{- if hasKey $.Values.extraConfig $name }}
{{- fail (printf "extraConfig.%s is config.%s: set it there, where the chart checks it" $name $key) }}
{{- end }}
{{- end }}
{{- /* The gateway's own checks across settings (values.schema.json has the others). */}}
{{- $config := .Values.config }}
{{- $worst := mulf $config.sagemakerMaxAttempts (addf $config.sagemakerConnectTimeoutSeconds $config.sagemakerReadTimeoutSeconds) }}
{{- if gt $worst (float64 $config.requestTimeoutSeconds) }}
{{- fail (printf "config: SageMaker's retries can take %v s (sagemakerMaxAttempts x (sagemakerConnectTimeoutSeconds + sagemakerReadTimeoutSeconds)), more than requestTimeoutSeconds (%v): the gateway would refuse to start" $worst $config.requestTimeoutSeconds) }}
{{- end }}
{{- if gt (int $config.defaultPageSize) (int $config.maxPageSize) }}
{{- fail (printf "config.defaultPageSize (%d) must not exceed config.maxPageSize (%d)" (int $config.defaultPageSize) (int $config.maxPageSize)) }}
{{- end }}
{{- if and .Values.trustedDocuments.existingConfigMap (not (kindIs "invalid" .Values.trustedDocuments.manifest)) }}
{{- fail "trustedDocuments: set manifest or existingConfigMap, not both" }}
{{- end }}
{{- if and $config.trustedDocumentsOnly (not (include "autopilot-gateway.trustedDocumentsPath" .)) }}
{{- fail "config.trustedDocumentsOnly needs a manifest: trustedDocuments.manifest, trustedDocuments.existingConfigMap or config.trustedDocuments; the gateway would refuse to start" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "invalid" .Values.podDisruptionBudget.maxUnavailable)) (not (kindIs "invalid" .Values.podDisruptionBudget.minAvailable)) }}
{{- fail "podDisruptionBudget: set maxUnavailable or minAvailable, not both" }}
{{- end }}
{{- end }}
