package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.kubeha.apiserver.api.FieldError;

import java.util.List;

/**
 * Defaulting and validation of one kind, as kube-apiserver applies them to every write. The API server calls, in
 * this order:
 * <ul>
 *   <li>create: {@link #applyDefaults}, {@link #prepareForCreate}, (its own: generateName, uid, creationTimestamp,
 *       namespace from the URL, ClusterIP allocation), {@link #validateCreate};</li>
 *   <li>update: {@link #applyDefaults}, {@link #prepareForUpdate}, {@link #validateUpdate}.</li>
 * </ul>
 * A non-empty list means 422 Invalid ({@code ApiException.invalid}). Implementations never drop fields they do
 * not know: unknown fields stay in the fabric8 objects' additionalProperties.
 */
public interface TypeRules<T extends HasMetadata> {

    /**
     * The type's defaults (k8s pkg/apis/&lt;group&gt;/v1/defaults.go), applied to every object decoded from a
     * request, create or update alike; mutates {@code obj}. Idempotent.
     */
    void applyDefaults(T obj);

    /**
     * What kube's registry strategy does on create beyond defaulting (its PrepareForCreate and the admission
     * plugins every cluster runs): status reset, a Namespace's "kubernetes" finalizer, a Pod's QoS class,
     * priority and default tolerations, a Service's clusterIPs. Mutates {@code obj}; no-op for most kinds.
     */
    default void prepareForCreate(T obj) {}

    /**
     * What kube's BeforeUpdate and registry strategy do on update: carry uid, creationTimestamp and the deletion
     * timestamp and grace period over from the stored object, keep the stored status, keep values
     * the server allocated that the client left out (a Service's clusterIP and nodePorts), drop type-dependent
     * fields. Mutates {@code obj}, never {@code old}; no-op for most kinds.
     */
    default void prepareForUpdate(T obj, T old) {}

    /**
     * What an update through a subresource ({@code status}, {@code approval}) may change, as kube's status and
     * approval strategies: {@code obj} is the stored object with the status the client sent; mutates {@code obj}.
     * No-op for most kinds, whose status updates are stored as sent.
     */
    default void prepareForSubresourceUpdate(String subresource, T obj, T old) {}

    /** Validation of an update through a subresource; by default none (status updates of most kinds are not checked). */
    default List<FieldError> validateSubresourceUpdate(String subresource, T obj, T old) {
        return List.of();
    }

    /** Validation on create; empty means valid. Expects defaults applied and the name already generated. */
    List<FieldError> validateCreate(T obj);

    /** Validation on update, including what may not change; {@code old} is the stored object. */
    List<FieldError> validateUpdate(T obj, T old);

    /** Whether objects of this kind live in a namespace. */
    boolean namespaced();
}
