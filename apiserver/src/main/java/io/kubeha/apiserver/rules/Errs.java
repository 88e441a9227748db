package io.kubeha.apiserver.rules;

import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.FieldError.Type;

import java.util.Collection;

/**
 * FieldError factories that take a {@link Path} and print bad values as Go does ({@link Go}); the messages are
 * kube-apiserver's (k8s.io/apimachinery/pkg/util/validation/field/errors.go).
 */
final class Errs {
    private Errs() {}

    static FieldError required(Path p) {
        return FieldError.required(p.toString());
    }

    static FieldError required(Path p, String detail) {
        return detail == null || detail.isEmpty() ? required(p) : FieldError.required(p.toString(), detail);
    }

    /** A string bad value, printed quoted. */
    static FieldError invalid(Path p, String value, String detail) {
        return invalidRaw(p, Go.quote(value), detail);
    }

    /** A number or boolean bad value, printed bare. */
    static FieldError invalid(Path p, long value, String detail) {
        return invalidRaw(p, Long.toString(value), detail);
    }

    /** A bad value already rendered the Go way (maps, structs, IntOrString, null). */
    static FieldError invalidRaw(Path p, String rendered, String detail) {
        String msg = Type.FieldValueInvalid.prefix + ": " + rendered;
        if (detail != null && !detail.isEmpty()) msg += ": " + detail;
        return new FieldError(Type.FieldValueInvalid, p.toString(), msg);
    }

    /** NotSupported with a string value; {@code supported} in the order kube lists them. */
    static FieldError notSupported(Path p, String value, Collection<String> supported) {
        return notSupportedRaw(p, Go.quote(value), supported);
    }

    static FieldError notSupportedRaw(Path p, String rendered, Collection<String> supported) {
        StringBuilder b = new StringBuilder(Type.FieldValueNotSupported.prefix).append(": ").append(rendered);
        if (!supported.isEmpty()) {
            b.append(": supported values: ");
            int i = 0;
            for (String s : supported) {
                if (i++ > 0) b.append(", ");
                b.append(Go.quote(s));
            }
        }
        return new FieldError(Type.FieldValueNotSupported, p.toString(), b.toString());
    }

    static FieldError duplicate(Path p, String value) {
        return duplicateRaw(p, Go.quote(value));
    }

    static FieldError duplicateRaw(Path p, String rendered) {
        return new FieldError(Type.FieldValueDuplicate, p.toString(), Type.FieldValueDuplicate.prefix + ": " + rendered);
    }

    static FieldError notFound(Path p, String value) {
        return notFound(p, value, null);
    }

    static FieldError notFound(Path p, String value, String detail) {
        String msg = Type.FieldValueNotFound.prefix + ": " + Go.quote(value);
        if (detail != null && !detail.isEmpty()) msg += ": " + detail;
        return new FieldError(Type.FieldValueNotFound, p.toString(), msg);
    }

    static FieldError forbidden(Path p, String detail) {
        return FieldError.forbidden(p.toString(), detail);
    }

    static FieldError tooLong(Path p, int max) {
        return FieldError.tooLong(p.toString(), max);
    }

    static FieldError tooMany(Path p, int actual, int max) {
        return new FieldError(Type.FieldValueTooMany, p.toString(),
                Type.FieldValueTooMany.prefix + ": " + actual + ": must have at most " + max + " items");
    }

    /** apimachinery's ValidateImmutableField message, with the new value as the bad value. */
    static FieldError immutable(Path p, String renderedNewValue) {
        return invalidRaw(p, renderedNewValue, "field is immutable");
    }
}
