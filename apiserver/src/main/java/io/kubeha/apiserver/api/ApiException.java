package io.kubeha.apiserver.api;

import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.StatusDetails;

import java.util.List;

/**
 * A request that fails, carrying the metav1.Status the client gets: HTTP code, reason, message and details,
 * worded as kube-apiserver words them (kubectl shows the message as it is).
 */
public final class ApiException extends RuntimeException {
    private final transient Status status;

    public ApiException(int code, String reason, String message, StatusDetails details) {
        super(message);
        this.status = new Status();
        status.setApiVersion("v1");
        status.setKind("Status");
        status.setMetadata(new ListMeta());
        status.setStatus("Failure");
        status.setCode(code);
        status.setReason(reason);
        status.setMessage(message);
        status.setDetails(details);
    }

    public Status status() {
        return status;
    }

    public int code() {
        return status.getCode();
    }

    public String reason() {
        return status.getReason();
    }

    /** {@code details} of a Status about one object: {@code group} is "" for the core group. */
    public static StatusDetails details(String group, String kindOrResource, String name) {
        StatusDetails d = new StatusDetails();
        d.setGroup(group == null || group.isEmpty() ? null : group);
        d.setKind(kindOrResource);
        d.setName(name);
        return d;
    }

    /** How kube-apiserver names a resource in messages: {@code pods}, {@code deployments.apps}. */
    public static String qualified(String group, String resource) {
        return group == null || group.isEmpty() ? resource : resource + "." + group;
    }

    public static ApiException notFound(String group, String resource, String name) {
        return new ApiException(404, "NotFound", qualified(group, resource) + " \"" + name + "\" not found",
                details(group, resource, name));
    }

    public static ApiException alreadyExists(String group, String resource, String name) {
        return new ApiException(409, "AlreadyExists", qualified(group, resource) + " \"" + name + "\" already exists",
                details(group, resource, name));
    }

    /** A stale resourceVersion: {@code Operation cannot be fulfilled on pods "x": the object has been modified ...}. */
    public static ApiException conflict(String group, String resource, String name, String why) {
        return new ApiException(409, "Conflict", "Operation cannot be fulfilled on " + qualified(group, resource) + " \""
                + name + "\": " + why, details(group, resource, name));
    }

    public static ApiException conflictModified(String group, String resource, String name) {
        return conflict(group, resource, name,
                "the object has been modified; please apply your changes to the latest version and try again");
    }

    /** 422: {@code Deployment.apps "x" is invalid: [spec.replicas: Invalid value: -1: must be ..., ...]}. */
    public static ApiException invalid(String group, String kind, String name, List<FieldError> errors) {
        String what = qualified(group, kind) + " \"" + name + "\" is invalid: ";
        String list = errors.size() == 1 ? errors.get(0).toString()
                : "[" + String.join(", ", errors.stream().map(FieldError::toString).toList()) + "]";
        StatusDetails d = details(group, kind, name);
        d.setCauses(errors.stream().map(e -> {
            StatusCause c = new StatusCause();
            c.setReason(e.type().name());
            c.setField(e.field());
            c.setMessage(e.message());
            return c;
        }).toList());
        return new ApiException(422, "Invalid", what + list, d);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "BadRequest", message, null);
    }

    public static ApiException gone(String message) {
        return new ApiException(410, "Expired", message, null);
    }

    public static ApiException methodNotSupported(String group, String resource, String verb) {
        return new ApiException(405, "MethodNotAllowed", verb + " is not supported on resources of kind \""
                + qualified(group, resource) + "\"", details(group, resource, null));
    }

    public static ApiException notAcceptable(String message) {
        return new ApiException(406, "NotAcceptable", message, null);
    }

    public static ApiException unsupportedMediaType(String contentType) {
        return new ApiException(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                + "accepted media types include: application/json, application/yaml, application/json-patch+json, "
                + "application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
                + (contentType == null ? "" : " (got " + contentType + ")"), null);
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, "RequestEntityTooLarge", message, null);
    }

    public static ApiException forbidden(String group, String resource, String name, String why) {
        return new ApiException(403, "Forbidden", qualified(group, resource) + (name == null ? "" : " \"" + name + "\"")
                + " is forbidden: " + why, details(group, resource, name));
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, "ServiceUnavailable", message, null);
    }

    public static ApiException timeout(String message) {
        return new ApiException(504, "Timeout", message, null);
    }

    public static ApiException internal(String message) {
        return new ApiException(500, "InternalError", "Internal error occurred: " + message, null);
    }
}
