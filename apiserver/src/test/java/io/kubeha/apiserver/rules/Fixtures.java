package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.Json;

import java.util.List;

/** Objects from YAML, as clients send them, and errors as kube-apiserver prints them ({@code field: message}). */
final class Fixtures {
    private Fixtures() {}

    static <T> T yaml(String yaml, Class<T> type) {
        return Json.YAML.readValue(yaml, type);
    }

    /** Decoded, defaulted and prepared for create, as the API server does before validating. */
    static <T extends HasMetadata> T created(String yaml, Class<T> type) {
        T obj = yaml(yaml, type);
        TypeRules<T> r = Rules.forKind(type);
        r.applyDefaults(obj);
        r.prepareForCreate(obj);
        return obj;
    }

    static <T extends HasMetadata> List<String> createErrors(String yaml, Class<T> type) {
        return strings(Rules.forKind(type).validateCreate(created(yaml, type)));
    }

    /** Validation of an update from {@code before} (created and stored) to {@code after} (defaulted, prepared). */
    static <T extends HasMetadata> List<String> updateErrors(String before, String after, Class<T> type) {
        TypeRules<T> r = Rules.forKind(type);
        T old = created(before, type);
        T now = yaml(after, type);
        r.applyDefaults(now);
        r.prepareForUpdate(now, old);
        return strings(r.validateUpdate(now, old));
    }

    /** A copy of a stored object to modify, as a client's GET-modify-PUT does. */
    static <T> T copy(T obj) {
        @SuppressWarnings("unchecked")
        Class<T> type = (Class<T>) obj.getClass();
        return Json.convert(Json.tree(obj), type);
    }

    /** Validation of an update of the stored {@code old} to {@code now} (a modified copy). */
    static <T extends HasMetadata> List<String> updateErrors(T old, T now) {
        @SuppressWarnings("unchecked")
        TypeRules<T> r = Rules.forKind((Class<T>) old.getClass());
        r.applyDefaults(now);
        r.prepareForUpdate(now, old);
        return strings(r.validateUpdate(now, old));
    }

    static List<String> strings(List<FieldError> errs) {
        return errs.stream().map(FieldError::toString).toList();
    }

    static String tree(Object o) {
        return Json.string(o);
    }
}
