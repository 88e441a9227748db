package io.kubeha.apiserver.table;

import io.kubeha.apiserver.api.ApiException;

import java.util.Objects;

/**
 * How to build a Table, from the request: {@code includeObject} (query parameter), whether to leave out the
 * column definitions, and the Table's API version (from the Accept header's {@code g} and {@code v}).
 *
 * @param includeObject what each row's {@code object} holds
 * @param noHeaders     true to send {@code "columnDefinitions": null}: kube-apiserver does so for every
 *                      watch event after the first, and kubectl reuses the columns it already has
 * @param apiVersion    {@code meta.k8s.io/v1} (what kubectl asks for) or {@code meta.k8s.io/v1beta1}
 */
public record TableOptions(IncludeObject includeObject, boolean noHeaders, String apiVersion) {
    public static final String META_V1 = "meta.k8s.io/v1";
    public static final String META_V1BETA1 = "meta.k8s.io/v1beta1";

    /** includeObject=Metadata, headers, meta.k8s.io/v1. */
    public static final TableOptions DEFAULT = new TableOptions(IncludeObject.METADATA, false, META_V1);

    /** @throws ApiException 406 NotAcceptable for a Table version kube does not have */
    public TableOptions {
        Objects.requireNonNull(includeObject, "includeObject");
        Objects.requireNonNull(apiVersion, "apiVersion");
        if (!apiVersion.equals(META_V1) && !apiVersion.equals(META_V1BETA1)) {
            throw ApiException.notAcceptable("no Table exists in group version " + apiVersion);
        }
    }

    /** Default options with the given {@code includeObject} query parameter (null for none). */
    public static TableOptions of(String includeObject) {
        return new TableOptions(IncludeObject.parse(includeObject), false, META_V1);
    }

    public TableOptions withNoHeaders(boolean noHeaders) {
        return new TableOptions(includeObject, noHeaders, apiVersion);
    }

    public TableOptions withApiVersion(String apiVersion) {
        return new TableOptions(includeObject, noHeaders, apiVersion);
    }
}
