/**
 * Service ClusterIP and NodePort allocation, as kube-apiserver does it, for API servers that share one store.
 *
 * <p>Owns the keys {@code /registry/ranges/serviceips/<ip>} and {@code /registry/ranges/servicenodeports/<port>}:
 * one key per allocated value, holding the owning Service's namespace, name and uid. Guarantees:
 * <ul>
 *   <li>a value is never held by two Services: an allocation is a create-if-absent of its key, decided by the
 *       store's compare-and-swap, so two API servers racing for one value get one winner;</li>
 *   <li>a value is released only by its holder: a release deletes the key only if it still names that Service
 *       (same uid) and is unchanged since read;</li>
 *   <li>a Service's allocations are all or nothing: a create that fails part way gives back what it took; an
 *       update releases what it gives up only once the Service is written ({@link
 *       io.kubeha.apiserver.alloc.Allocation#commit});</li>
 *   <li>what a crash or a lost store write leaves behind is mended by {@link
 *       io.kubeha.apiserver.alloc.ServiceAllocator#repair}, which never takes a young allocation for a leak.</li>
 * </ul>
 * Requests are refused with kube-apiserver's own wording (422 for a requested value that is taken or out of
 * range, 500 {@code range is full}). Only IPv4 single-stack service ranges are supported.
 */
package io.kubeha.apiserver.alloc;
