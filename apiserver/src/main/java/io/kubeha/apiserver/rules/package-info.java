/**
 * Defaulting and validation of the built-in kinds, as kube-apiserver does them, on fabric8 model objects.
 *
 * <p>Public API: {@link io.kubeha.apiserver.rules.Rules#forKind(Class)} gives a kind's
 * {@link io.kubeha.apiserver.rules.TypeRules}; the API server calls its {@code applyDefaults},
 * {@code prepareForCreate} / {@code prepareForUpdate} and {@code validateCreate} / {@code validateUpdate} on every
 * write and turns a non-empty error list into 422 Invalid. Everything else is package-private.
 *
 * <p>Sources reproduced (behaviour and messages, not code): k8s pkg/apis/{core,apps}/v1/defaults.go,
 * pkg/apis/{core,apps,discovery,coordination}/validation, apimachinery's ObjectMeta, label and name validation,
 * and the parts of the registry strategies and default admission plugins (Priority, DefaultTolerationSeconds,
 * ServiceAccount's default name) that decide field values. Messages are those of kube-apiserver 1.34 and newer:
 * label keys and values count "bytes", object names "characters"; environment variable names are relaxed.
 *
 * <p>Guarantees: rules never drop a field they do not know (fabric8 keeps unknown fields in additionalProperties
 * and nothing here clears them); defaulting is idempotent; the objects passed as {@code old} are never changed;
 * every error carries kube's field path and message ({@link io.kubeha.apiserver.api.FieldError}).
 *
 * <p>Not here: fields the API server owns (uid, creationTimestamp, resourceVersion, generation, namespace from the
 * URL, generateName), ClusterIP and NodePort allocation, status subresources, admission that needs other objects
 * (a PriorityClass's value, a ServiceAccount's token volume). Known differences from kube: loopback IPs are
 * allowed in Endpoints, EndpointSlices and externalIPs (pods here live on 127.0.0.0/8 in loopback mode); a pod
 * update's "may not change" error lists the changed fields in its own diff layout rather than Go's cmp.Diff.
 */
package io.kubeha.apiserver.rules;
