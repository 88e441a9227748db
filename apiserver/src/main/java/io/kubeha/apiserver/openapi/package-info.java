/**
 * The OpenAPI documents kube-apiserver serves, generated from the {@link io.kubeha.apiserver.registry.Resources
 * registry} and the fabric8 model classes, so that kubectl's {@code explain}, its default {@code --validate}
 * and its {@code apply} work against kubeha as against Kubernetes.
 *
 * <h2>API</h2>
 * One public class, {@link io.kubeha.apiserver.openapi.OpenApi}:
 * <pre>{@code
 * OpenApi openApi = new OpenApi(Resources.builtIn());   // cheap; documents are built on first use, then cached
 * byte[]           openApi.v2()                          // GET /openapi/v2, JSON (Content-Type application/json)
 * byte[]           openApi.v2Protobuf()                  // GET /openapi/v2 when OpenApi.acceptsV2Protobuf(Accept):
 *                                                         //   Content-Type OpenApi.V2_PROTOBUF_TYPE
 * byte[]           openApi.v3Discovery()                 // GET /openapi/v3, JSON
 * Optional<byte[]> openApi.v3("api/v1")                  // GET /openapi/v3/api/v1?hash=..., JSON; empty -> 404
 * Optional<byte[]> openApi.v3("apis/apps/v1")            // GET /openapi/v3/apis/apps/v1?hash=...
 * Optional<String> openApi.v3Hash("apis/apps/v1")        // the hash in that URL (uppercase hex SHA-512), for an ETag
 * static boolean   OpenApi.acceptsV2Protobuf(String accept)
 * }</pre>
 * Serving {@code /openapi/v2} as protobuf when asked is not optional: kubectl (1.27 to 1.33 at least) sends
 * {@code Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf} and decodes whatever comes back
 * as protobuf, so a JSON answer fails every {@code kubectl apply/create/replace} that validates.
 *
 * <h2>What the documents hold</h2>
 * <ul>
 *   <li>Definitions (v2 {@code definitions}, v3 {@code components.schemas}) named as Kubernetes names them
 *       ({@code io.k8s.api.core.v1.Pod}, {@code io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta}), reflected
 *       from the fabric8 classes' Jackson properties: every kind, its list kind and every type they reach.
 *       Kinds carry {@code x-kubernetes-group-version-kind}; list fields that Kubernetes merges by key carry
 *       {@code x-kubernetes-patch-merge-key}/{@code x-kubernetes-patch-strategy}; timestamps refer to
 *       {@code meta.v1.Time}/{@code MicroTime}; Quantity and IntOrString are Kubernetes' scalar forms.
 *       Descriptions are short and mostly absent; {@code required} lists are not published.</li>
 *   <li>Paths: for each resource the collection, item, deprecated {@code /watch/} and (namespaced)
 *       all-namespaces paths, and its subresources (status, scale, binding, eviction, log, finalize), with
 *       Kubernetes' operation ids, {@code x-kubernetes-action} and {@code x-kubernetes-group-version-kind}; query
 *       parameters including {@code dryRun}, {@code fieldManager} and {@code fieldValidation} on every write
 *       (kubectl takes {@code fieldValidation} on a kind's PATCH operation as the sign that the server validates
 *       fields itself, and then skips client-side validation); request bodies and responses by reference.</li>
 * </ul>
 * The documents are deterministic: the same registry gives the same bytes and hashes on every server.
 */
package io.kubeha.apiserver.openapi;
