{{/*
Helpers shared by every template. Most take a fresh dict rather than `.`:
  root       the chart's top-level context ($)
  name       the app.kubernetes.io/name of the object
  component  its app.kubernetes.io/component
  framework  (services only) the polyshop.dev/framework label
  version    (optional) app.kubernetes.io/version, default the chart's appVersion
*/}}

{{- define "polyshop.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
{{- end }}

{{- define "polyshop.fullname" -}}
{{ printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "polyshop.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{- define "polyshop.labels" -}}
{{ include "polyshop.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: polyshop
app.kubernetes.io/version: {{ .version | default .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "polyshop.chart" .root }}
{{- with .framework }}
polyshop.dev/framework: {{ . }}
{{- end }}
{{- end }}

{{/* The Secret every pod reads its credentials from. */}}
{{- define "polyshop.secretName" -}}
{{ .Values.secrets.existingSecret | default (printf "%s-secrets" .Release.Name) }}
{{- end }}

{{/* Each service merged onto defaults, by name, as JSON: the one place the merge happens. */}}
{{- define "polyshop.services" -}}
{{- $all := dict }}
{{- range $name, $spec := .Values.services }}
{{- $svc := mustMergeOverwrite (deepCopy $.Values.defaults) (deepCopy $spec) }}
{{- $_ := set $svc "app" ($svc.app | default $name) }}
{{- $_ := set $all $name $svc }}
{{- end }}
{{- toJson $all }}
{{- end }}

{{/* Every key of the Secret, sorted: what the services, PostgreSQL and Redis read. */}}
{{- define "polyshop.secretKeys" -}}
{{- $keys := list "postgres-password" "redis-password" }}
{{- if .Values.observability.grafana.enabled }}
{{- $keys = append $keys "grafana-admin-password" }}
{{- end }}
{{- range $name, $svc := include "polyshop.services" . | fromJson }}
{{- $keys = append $keys (printf "client-secret-%s" $svc.app) }}
{{- if $svc.database }}
{{- $keys = append $keys (printf "db-password-%s" $svc.app) }}
{{- end }}
{{- range $env, $key := $svc.secretEnv }}
{{- $keys = append $keys $key }}
{{- end }}
{{- end }}
{{- $keys | uniq | sortAlpha | toJson }}
{{- end }}

{{/* The apps with a database of their own, sorted (orders-worker shares orders'). */}}
{{- define "polyshop.databases" -}}
{{- $apps := list }}
{{- range $name, $svc := include "polyshop.services" . | fromJson }}
{{- if $svc.database }}
{{- $apps = append $apps $svc.app }}
{{- end }}
{{- end }}
{{- $apps | uniq | sortAlpha | toJson }}
{{- end }}

{{/* The restricted Pod Security profile, for the pod and for each container. */}}
{{- define "polyshop.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "polyshop.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: {{ . }}
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* An env entry read from the Secret. Context: dict "root" $ "env" NAME "key" secret-key */}}
{{- define "polyshop.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "polyshop.secretName" .root }}
      key: {{ .key }}
{{- end }}

{{/* A NetworkPolicy peer: the release's pods named .name, in this namespace. */}}
{{- define "polyshop.peer" -}}
- podSelector:
    matchLabels:
      {{- include "polyshop.selectorLabels" . | nindent 6 }}
{{- end }}

{{/* A peer from values (namespaceSelector and podSelector). */}}
{{- define "polyshop.externalPeer" -}}
- namespaceSelector:
    {{- toYaml .namespaceSelector | nindent 4 }}
  podSelector:
    {{- toYaml .podSelector | nindent 4 }}
{{- end }}

{{/* Where the services send spans: otel.endpoint, else the chart's Collector when it is on. */}}
{{- define "polyshop.otelEndpoint" -}}
{{- if .Values.otel.endpoint }}
{{- .Values.otel.endpoint }}
{{- else if .Values.observability.otelCollector.enabled }}
{{- printf "http://%s:4318" (include "polyshop.fullname" (dict "root" . "name" "otel-collector")) }}
{{- end }}
{{- end }}

{{/*
The files of one tool under observability/ (through the chart's files/observability symlink), as
ConfigMap data: file name -> content, exactly as in the repository.
*/}}
{{- define "polyshop.observabilityFiles" -}}
{{- $root := .root }}
{{- range $path, $_ := $root.Files.Glob (printf "files/observability/%s" .glob) }}
{{ base $path }}: {{ $root.Files.Get $path | toJson }}
{{- end }}
{{- end }}

{{/* The public origin when the ingress is on, e.g. https://shop.example.com. */}}
{{- define "polyshop.publicOrigin" -}}
{{ ternary "https" "http" .Values.ingress.tls.enabled }}://{{ .Values.ingress.host }}
{{- end }}

{{/*
One NetworkPolicy rule: `direction` ("from" or "to") the release's pods named `name`, or the
namespace and pod selectors of `peer` (from values), on TCP `port`.
*/}}
{{- define "polyshop.rule" -}}
- {{ .direction }}:
    {{- if .name }}
    - podSelector:
        matchLabels:
          {{- include "polyshop.selectorLabels" . | nindent 10 }}
    {{- else }}
    - namespaceSelector:
        {{- toYaml .peer.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml .peer.podSelector | nindent 8 }}
    {{- end }}
  ports:
    - port: {{ .port }}
      protocol: TCP
{{- end }}

{{/* A list of rules under `key`, or `key: []` when there are none. */}}
{{- define "polyshop.rules" -}}
{{ .key }}:{{ if not .rules }} []{{ end }}
{{- range .rules }}
  {{- . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Env the ingress implies, by service: the storefront sends browsers to the public WebSocket address
and trusts the one proxy's X-Forwarded-For; notifications accepts pages from the public origin.
A service's own `env` wins over these.
*/}}
{{- define "polyshop.ingressEnv" -}}
{{- $env := dict }}
{{- if .Values.ingress.enabled }}
{{- $origin := include "polyshop.publicOrigin" . }}
{{- $_ := set $env "storefront" (dict "NOTIFICATIONS_PUBLIC_URL" (printf "%s/ws" (regexReplaceAll "^http" $origin "ws")) "PROXY_HOPS" "1") }}
{{- $_ := set $env "notifications" (dict "ALLOWED_ORIGINS" $origin) }}
{{- end }}
{{- toJson $env }}
{{- end }}

{{/*
The env of a service's containers (the server and its migrate init container), as a YAML list.
Context: dict "root" $ "name" <service> "svc" <merged entry> "services" <all merged> "extra" <env>.
Kubernetes expands $(VAR) only from variables defined earlier in the list: order matters.
*/}}
{{- define "polyshop.serviceEnv" -}}
{{- $root := .root }}
{{- $svc := .svc }}
{{- $services := .services }}
{{- $name := .name }}
- name: ENVIRONMENT
  value: {{ $root.Values.environment }}
{{- if eq $svc.role "worker" }}
- name: WORKER_METRICS_PORT
  value: {{ $svc.port | quote }}
{{- else }}
- name: PORT
  value: {{ $svc.port | quote }}
{{- end }}
# The `migrate` init container runs the migrations, before the server starts.
- name: MIGRATE_ON_START
  value: "false"
- name: GRACEFUL_TIMEOUT_SECONDS
  value: {{ $svc.gracefulTimeoutSeconds | quote }}
- name: OTEL_SERVICE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.labels['app.kubernetes.io/name']
- name: POD_VERSION
  valueFrom:
    fieldRef:
      fieldPath: metadata.labels['app.kubernetes.io/version']
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: service.version=$(POD_VERSION),deployment.environment=$(ENVIRONMENT),k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME)
{{- with include "polyshop.otelEndpoint" $root }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- range $callee := $svc.calls }}
- name: {{ $callee | upper | replace "-" "_" }}_URL
  value: http://{{ include "polyshop.fullname" (dict "root" $root "name" $callee) }}:{{ (get $services $callee).port }}
{{- end }}
{{- if $svc.database }}
{{ include "polyshop.secretEnv" (dict "root" $root "env" "DB_PASSWORD" "key" (printf "db-password-%s" $svc.app)) }}
- name: DATABASE_URL
  value: postgresql://{{ $svc.app }}:$(DB_PASSWORD)@{{ include "polyshop.fullname" (dict "root" $root "name" "postgresql") }}:5432/{{ $svc.app }}
{{- end }}
{{- if $svc.redis }}
{{ include "polyshop.secretEnv" (dict "root" $root "env" "REDIS_PASSWORD" "key" "redis-password") }}
- name: REDIS_URL
  value: redis://:$(REDIS_PASSWORD)@{{ include "polyshop.fullname" (dict "root" $root "name" "redis") }}:6379/0
{{- end }}
{{ include "polyshop.secretEnv" (dict "root" $root "env" "SERVICE_CLIENT_SECRET" "key" (printf "client-secret-%s" $svc.app)) }}
{{- range $env, $key := $svc.secretEnv }}
{{ include "polyshop.secretEnv" (dict "root" $root "env" $env "key" $key) }}
{{- end }}
{{- if $svc.serviceClients }}
{{- $clients := list }}
{{- range $caller, $other := $services }}
{{- if and (has $name $other.calls) (not (has $other.app $clients)) }}
{{- $clients = append $clients $other.app }}
{{- end }}
{{- end }}
{{- range $app := $clients }}
{{ include "polyshop.secretEnv" (dict "root" $root "env" (printf "CLIENT_SECRET_%s" ($app | upper | replace "-" "_")) "key" (printf "client-secret-%s" $app)) }}
{{- end }}
- name: SERVICE_CLIENTS
  value: {{ range $i, $app := $clients }}{{ if $i }},{{ end }}{{ $app }}:$(CLIENT_SECRET_{{ $app | upper | replace "-" "_" }}){{ end }}
{{- end }}
{{- range $key, $value := mustMergeOverwrite (deepCopy .extra) $svc.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* The tag of an image reference (docker.io/library/redis:7.4-alpine -> 7.4-alpine), for labels. */}}
{{- define "polyshop.imageTag" -}}
{{ splitList "@" . | first | splitList "/" | last | splitList ":" | rest | first | default "latest" }}
{{- end }}
