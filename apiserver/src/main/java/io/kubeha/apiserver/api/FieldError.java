package io.kubeha.apiserver.api;

import java.util.Objects;

/**
 * One field-level validation failure, as Kubernetes reports it in a 422 Invalid Status's
 * {@code details.causes}: {@code {"reason":"FieldValueRequired","message":"Required value","field":"spec.containers"}}.
 *
 * @param type    what is wrong with the field
 * @param field   the field path, as Kubernetes writes it: {@code spec.template.spec.containers[0].image},
 *                {@code metadata.labels[app]}
 * @param message the full message kube-apiserver would give, e.g. {@code Required value} or
 *                {@code Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of ...}
 */
public record FieldError(Type type, String field, String message) {
    public FieldError {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }

    /** The cause reasons Kubernetes uses (k8s.io/apimachinery/pkg/util/validation/field). */
    public enum Type {
        FieldValueRequired("Required value"),
        FieldValueInvalid("Invalid value"),
        FieldValueNotSupported("Unsupported value"),
        FieldValueDuplicate("Duplicate value"),
        FieldValueForbidden("Forbidden"),
        FieldValueTooLong("Too long"),
        FieldValueTooMany("Too many"),
        FieldValueNotFound("Not found");

        /** How kube-apiserver starts the message of this kind of error. */
        public final String prefix;

        Type(String prefix) {
            this.prefix = prefix;
        }
    }

    public static FieldError required(String field) {
        return new FieldError(Type.FieldValueRequired, field, "Required value");
    }

    public static FieldError required(String field, String detail) {
        return new FieldError(Type.FieldValueRequired, field, "Required value: " + detail);
    }

    /** {@code value} is printed as Kubernetes prints it: strings quoted, numbers and booleans bare. */
    public static FieldError invalid(String field, Object value, String detail) {
        return new FieldError(Type.FieldValueInvalid, field, "Invalid value: " + show(value) + ": " + detail);
    }

    public static FieldError notSupported(String field, Object value, java.util.Collection<String> supported) {
        StringBuilder sb = new StringBuilder("Unsupported value: ").append(show(value)).append(": supported values: ");
        int i = 0;
        for (String s : supported) {
            if (i++ > 0) sb.append(", ");
            sb.append('"').append(s).append('"');
        }
        return new FieldError(Type.FieldValueNotSupported, field, sb.toString());
    }

    public static FieldError duplicate(String field, Object value) {
        return new FieldError(Type.FieldValueDuplicate, field, "Duplicate value: " + show(value));
    }

    public static FieldError forbidden(String field, String detail) {
        return new FieldError(Type.FieldValueForbidden, field, "Forbidden: " + detail);
    }

    public static FieldError tooLong(String field, int max) {
        return new FieldError(Type.FieldValueTooLong, field, "Too long: may not be more than " + max + " bytes");
    }

    static String show(Object value) {
        if (value == null) return "null";
        if (value instanceof String s) return '"' + s.replace("\"", "\\\"") + '"';
        return String.valueOf(value);
    }

    /** As kube-apiserver joins a cause into the Status message: {@code field: message}. */
    @Override
    public String toString() {
        return field + ": " + message;
    }
}
