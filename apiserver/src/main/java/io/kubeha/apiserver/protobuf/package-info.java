/**
 * Kubernetes' protobuf encoding ({@code application/vnd.kubernetes.protobuf}), which client-go sends and asks for
 * (kubectl 1.32+ sends its {@code create} bodies so and takes no 415 for an answer): request bodies decode to the
 * JSON tree the API server holds, and answers (objects, lists, Status, watch frames) encode from it when the Accept
 * header prefers protobuf; JSON stays the default.
 *
 * <pre>{@code
 * ObjectNode ns = Protobuf.decode(body, "v1", "Namespace");     // k8s\0 + runtime.Unknown -> JSON, or a 400 Status
 * if (Negotiation.preferred(accept).getFirst() == Format.PROTOBUF && Protobuf.encodable(obj)) send(Protobuf.encode(obj));
 * out.write(Protobuf.watchFrame("ADDED", obj));                 // 4-byte length + WatchEvent{object.raw = enveloped obj}
 * }</pre>
 *
 * <ul>
 *   <li>{@link io.kubeha.apiserver.protobuf.ProtoTypes}: apiVersion and kind to the message, a registry over the
 *       descriptors of {@code io.kubernetes:client-java-proto} (the messages generated from Kubernetes'
 *       {@code generated.proto} files): package {@code k8s.io.api.apps.v1} message {@code Deployment} is
 *       {@code apps/v1 Deployment}; the meta/v1 kinds (Status, WatchEvent, DeleteOptions) serve every group.</li>
 *   <li>{@link io.kubeha.apiserver.protobuf.ProtoJson}: message to JSON and back, generic over descriptors (proto
 *       field names are the JSON names), with the types whose JSON differs: meta/v1 Time (RFC 3339, seconds),
 *       MicroTime (microseconds), Duration (Go's "1m30s"), FieldsV1 and runtime.RawExtension (raw JSON bytes), intstr
 *       IntOrString (number or string), resource.Quantity (string), Verbs and ExtraValue (string arrays), the Go
 *       structs inlined in JSON (Volume's volumeSource, Probe's handler), bytes as base64. Go writes every
 *       non-pointer scalar to protobuf, so zero scalars are dropped on the way in, but for the pointer fields where
 *       an explicit zero means something ({@code replicas}, {@code automountServiceAccountToken}, ...).</li>
 *   <li>{@link io.kubeha.apiserver.protobuf.Protobuf}: the envelope ({@code k8s\0} + {@code runtime.Unknown}), the
 *       checks that make a bad body a 400 (no magic, not protobuf, another kind than the URL's), and watch frames.</li>
 *   <li>{@link io.kubeha.apiserver.protobuf.Negotiation}: JSON, YAML or protobuf from the Accept header.</li>
 * </ul>
 *
 * <p>Messages are parsed and built as {@link com.google.protobuf.DynamicMessage}s over the generated descriptors
 * rather than through the generated classes: client-java-proto's classes are old protoc output whose parsing code
 * protobuf-java flags as open to a denial of service on untrusted input, and DynamicMessage parses with the
 * runtime's own, current parser. The bytes on the wire are the same.
 */
package io.kubeha.apiserver.protobuf;
