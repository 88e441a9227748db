package io.kubeha.apiserver.patch;

import java.time.Instant;
import java.util.Objects;

/**
 * The PATCH request's options that the patch itself depends on (the query parameters {@code fieldManager} and
 * {@code force}, and which subresource is patched), and the time of the request.
 *
 * @param fieldManager the {@code fieldManager} query parameter; required for apply (kubectl sends
 *                     {@code kubectl}), unused by the other patch types (the API server records their manager
 *                     with {@link ManagedFields#recordUpdate})
 * @param force        the {@code force} query parameter ({@code kubectl apply --server-side --force-conflicts}):
 *                     apply takes conflicting fields from their managers instead of failing; only for apply
 * @param subresource  the subresource patched ({@code status}, {@code scale}), or null for the object itself;
 *                     an apply through a subresource is a manager of its own
 * @param now          the time of the request, for managedFields entries
 */
public record ApplyOptions(String fieldManager, boolean force, String subresource, Instant now) {
    public ApplyOptions {
        Objects.requireNonNull(now, "now");
        if (subresource != null && subresource.isEmpty()) subresource = null;
    }

    /** Options for a request to the object itself. */
    public ApplyOptions(String fieldManager, boolean force, Instant now) {
        this(fieldManager, force, null, now);
    }
}
