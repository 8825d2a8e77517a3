{{/* The image every component runs: repository:tag, or repository@digest when a digest is set. */}}
{{- define "certdrift.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/* imagePullPolicy and imagePullSecrets lines, only when set (the kustomize bases set neither). */}}
{{- define "certdrift.pullPolicy" -}}
{{- if .Values.image.pullPolicy }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end }}
{{- end }}
{{- define "certdrift.pullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The Service's DNS name the agents' certificate is issued for and Prometheus checks. */}}
{{- define "certdrift.serviceName" -}}
certdrift.{{ .Release.Namespace }}.svc
{{- end }}

{{/*
The rotator policy ConfigMap's name: kustomize's configMapGenerator suffix (sha256 of the
ConfigMap's JSON with an empty name, its first 10 hex digits with 0 1 3 a e replaced so the
suffix never spells a word), so the chart and deploy/rotator name the same object and a changed
policy rolls the Deployment.
*/}}
{{- define "certdrift.rotatorPolicy" -}}
{{- .Values.rotator.policy | default (.Files.Get "files/rotator-policy.yaml") -}}
{{- end }}
{{- define "certdrift.rotatorPolicyName" -}}
{{- $hash := dict "data" (dict "policy.yaml" (include "certdrift.rotatorPolicy" .)) "kind" "ConfigMap" "name" "" | toJson | sha256sum | trunc 10 -}}
certdrift-rotator-policy-{{ $hash | replace "0" "g" | replace "1" "h" | replace "3" "k" | replace "a" "m" | replace "e" "t" }}
{{- end }}
