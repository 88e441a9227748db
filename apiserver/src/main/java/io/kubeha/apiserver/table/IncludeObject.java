package io.kubeha.apiserver.table;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.FieldError;

/**
 * What each table row carries in {@code row.object}: the {@code includeObject} query parameter of a Table
 * request. kubectl asks for {@link #OBJECT} with {@code -o} formats that need the object, and leaves the
 * default {@link #METADATA} otherwise.
 */
public enum IncludeObject {
    /** {@code "object": null}. */
    NONE("None"),
    /** A {@code meta.k8s.io PartialObjectMetadata} holding the object's metadata (the default). */
    METADATA("Metadata"),
    /** The whole object, as the resource's API version serves it. */
    OBJECT("Object");

    private final String value;

    IncludeObject(String value) {
        this.value = value;
    }

    /** The query parameter's value: "None", "Metadata", "Object". */
    public String value() {
        return value;
    }

    /**
     * Parses the {@code includeObject} query parameter; null or empty is the default, {@link #METADATA}.
     *
     * @throws ApiException 400 BadRequest, worded as kube-apiserver words it, for any other value
     */
    public static IncludeObject parse(String value) {
        if (value == null || value.isEmpty()) {
            return METADATA;
        }
        for (IncludeObject i : values()) {
            if (i.value.equals(value)) {
                return i;
            }
        }
        throw ApiException.badRequest("Unable to convert to Table as requested: "
                + FieldError.invalid("includeObject", value, "must be 'Metadata', 'Object', 'None', or empty"));
    }
}
