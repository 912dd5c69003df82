{{/*
Names. The base name is kept to 45 characters so that "<base>-load-tenants" and the
other suffixed names stay within Kubernetes' 63-character limit for labels and Jobs.
*/}}
{{- define "asan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 45 | trimSuffix "-" }}
{{- end }}

{{- define "asan.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "asan.selectorLabels" -}}
app.kubernetes.io/name: {{ include "asan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "asan.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "asan.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: asan-platform
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "web"). */}}
{{- define "asan.componentSelectorLabels" -}}
{{ include "asan.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "asan.componentLabels" -}}
{{ include "asan.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "asan.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "asan.bundlesConfigMap" -}}
{{- default (printf "%s-tenant-bundles" (include "asan.fullname" .)) .Values.tenantBundles.existingConfigMap }}
{{- end }}

{{/* Where the bundles are mounted (ASAN_TENANTS_DIR) and where plugin Secrets go. */}}
{{- define "asan.bundlesDir" -}}/etc/asan/tenants{{- end }}
{{- define "asan.secretsDir" -}}/etc/asan/secrets{{- end }}

{{/*
Every host the Ingress serves, as a JSON list: the base domain (platform API), then per
tenant <code>.<baseDomain> and its own host names. A host claimed twice stops the render:
the application would answer it for one tenant only.
*/}}
{{- define "asan.hosts" -}}
{{- $hosts := list }}
{{- if .Values.ingress.platformHost }}
{{- $hosts = append $hosts .Values.baseDomain }}
{{- end }}
{{- range .Values.tenants }}
{{- $hosts = append $hosts (printf "%s.%s" .code $.Values.baseDomain) }}
{{- range (.hostnames | default list) }}
{{- $hosts = append $hosts . }}
{{- end }}
{{- end }}
{{- $seen := dict }}
{{- range $hosts }}
{{- if hasKey $seen . }}
{{- fail (printf "host %q is listed twice (base domain, a tenant's <code>.<baseDomain>, or a tenant's hostnames): each host belongs to one tenant" .) }}
{{- end }}
{{- $_ := set $seen . true }}
{{- end }}
{{- toJson $hosts }}
{{- end }}

{{- define "asan.tlsSecretName" -}}
{{- $given := get .root.Values.ingress.tls.secretNames .host }}
{{- default (printf "%s-tls" (replace "." "-" .host)) $given | trunc 253 }}
{{- end }}

{{/*
Checks the schema cannot express (they compare several values); each failure says
what to change.
*/}}
{{- define "asan.validate" -}}
{{- $processes := or .Values.autoscaling.enabled (gt (int .Values.web.replicas) 1) (gt (int .Values.web.workers) 1) }}
{{- if and $processes (not .Values.redis.enabled) }}
{{- fail "redis.enabled must be true when web.replicas > 1, web.workers > 1 or autoscaling.enabled is true: without Redis, sessions and rate limits live in one process's memory, so a login made on one pod is unknown to the others. Set redis.enabled=true and redis.existingSecret, or run one web process." }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- if lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas) }}
{{- fail (printf "autoscaling.maxReplicas (%v) must not be below autoscaling.minReplicas (%v)" .Values.autoscaling.maxReplicas .Values.autoscaling.minReplicas) }}
{{- end }}
{{- if not (dig "requests" "cpu" "" .Values.web.resources) }}
{{- fail "autoscaling.enabled needs web.resources.requests.cpu: the HorizontalPodAutoscaler scales on CPU use relative to the request" }}
{{- end }}
{{- end }}
{{- $codes := dict }}
{{- range .Values.tenants }}
{{- if hasKey $codes .code }}
{{- fail (printf "tenant code %q is listed twice in tenants" .code) }}
{{- end }}
{{- $_ := set $codes .code true }}
{{- if not $.Values.tenantBundles.existingConfigMap }}
{{- if not ($.Files.Get (printf "files/tenants/%s/tenant.toml" .code)) }}
{{- fail (printf "tenant %q has no bundle in the chart (files/tenants/%s/): put its bundle in a ConfigMap and name it in tenantBundles.existingConfigMap" .code .code) }}
{{- end }}
{{- end }}
{{- end }}
{{- $_ := include "asan.hosts" . }}
{{- end }}

{{/*
Environment shared by every container. Secrets only ever come by secretKeyRef.
*/}}
{{- define "asan.env" -}}
- name: ASAN_ENV
  value: production
- name: ASAN_BASE_DOMAIN
  value: {{ .Values.baseDomain | quote }}
- name: ASAN_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.runtimeUrlKey }}
- name: ASAN_DB_RUNTIME_ROLE
  value: {{ .Values.database.runtimeRole | quote }}
- name: ASAN_DB_POOL_SIZE
  value: {{ .Values.database.poolSize | quote }}
- name: ASAN_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secretKey.existingSecret }}
      key: {{ .Values.secretKey.key }}
{{- if .Values.redis.enabled }}
- name: ASAN_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.key }}
{{- end }}
- name: ASAN_SECRETS_DIR
  value: {{ include "asan.secretsDir" . }}
- name: ASAN_VAR_DIR
  value: /tmp/asan
- name: ASAN_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: ASAN_LOG_FORMAT
  value: {{ .Values.config.logFormat | quote }}
- name: ASAN_TRUSTED_PROXIES
  value: {{ .Values.config.trustedProxies | quote }}
- name: ASAN_TENANT_CACHE_SECONDS
  value: {{ .Values.config.tenantCacheSeconds | quote }}
- name: ASAN_CATALOGUE_REFRESH_SECONDS
  value: {{ .Values.config.catalogueRefreshSeconds | quote }}
- name: ASAN_POLICY_REFRESH_SECONDS
  value: {{ .Values.config.policyRefreshSeconds | quote }}
- name: ASAN_DELIVERY_MAX_ATTEMPTS
  value: {{ .Values.config.deliveryMaxAttempts | quote }}
- name: ASAN_DELIVERY_POLL_SECONDS
  value: {{ .Values.config.deliveryPollSeconds | quote }}
- name: ASAN_STATUS_POLL_SECONDS
  value: {{ .Values.config.statusPollSeconds | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* ASAN_TENANTS_DIR, for the containers that mount the bundles. */}}
{{- define "asan.bundlesEnv" -}}
- name: ASAN_TENANTS_DIR
  value: {{ include "asan.bundlesDir" . }}
{{- end }}

{{/*
The bundles volume. A ConfigMap has flat keys (<code>.tenant.toml); `items` lays them out
as <code>/tenant.toml, the folder layout `asan tenant load` reads. An operator's ConfigMap
may leave out catalogue.yaml or policy.csv (both optional in a bundle), hence `optional`.
*/}}
{{- define "asan.bundlesVolume" -}}
- name: tenant-bundles
  configMap:
    name: {{ include "asan.bundlesConfigMap" . }}
    {{- if .Values.tenantBundles.existingConfigMap }}
    optional: true
    {{- end }}
    items:
    {{- range .Values.tenants }}
    {{- $code := .code }}
    {{- range list "tenant.toml" "catalogue.yaml" "policy.csv" }}
    {{- if or $.Values.tenantBundles.existingConfigMap ($.Files.Get (printf "files/tenants/%s/%s" $code .)) }}
      - key: {{ printf "%s.%s" $code . }}
        path: {{ printf "%s/%s" $code . }}
    {{- end }}
    {{- end }}
    {{- end }}
{{- end }}

{{- define "asan.bundlesVolumeMount" -}}
- name: tenant-bundles
  mountPath: {{ include "asan.bundlesDir" . }}
  readOnly: true
{{- end }}

{{/* Plugin Secrets, each under ASAN_SECRETS_DIR/<tenant>/<name>/: a tenant's settings
reach only its own (secret:<name>/<key> is read below the tenant's folder). */}}
{{- define "asan.secretVolumes" -}}
{{- range $index, $secret := .Values.pluginSecrets }}
- name: {{ printf "plugin-secret-%d" $index }}
  secret:
    secretName: {{ $secret.name }}
{{- end }}
{{- end }}

{{- define "asan.secretVolumeMounts" -}}
{{- range $index, $secret := .Values.pluginSecrets }}
- name: {{ printf "plugin-secret-%d" $index }}
  mountPath: {{ printf "%s/%s/%s" (include "asan.secretsDir" $) $secret.tenant $secret.name }}
  readOnly: true
{{- end }}
{{- end }}

{{/* /tmp is the only writable place (the root filesystem is read-only). */}}
{{- define "asan.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{- define "asan.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Pod-level fields shared by every pod of the chart. */}}
{{- define "asan.podCommon" -}}
{{- with .Values.serviceAccount.name }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The bundles ConfigMap's checksum: pods roll when a bundle changes. */}}
{{- define "asan.bundlesChecksum" -}}
{{- if .Values.tenantBundles.existingConfigMap }}
{{- printf "%s" .Values.tenantBundles.existingConfigMap | sha256sum }}
{{- else }}
{{- include (print $.Template.BasePath "/configmap-tenant-bundles.yaml") . | sha256sum }}
{{- end }}
{{- end }}
