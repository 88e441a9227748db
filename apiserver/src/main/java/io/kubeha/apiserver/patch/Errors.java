package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.StatusDetails;
import io.kubeha.apiserver.api.ApiException;

import java.util.List;

/** The Status errors of the patch code, with kube-apiserver's codes and wording. */
final class Errors {
    private Errors() {}

    static ApiException badRequest(String message) {
        return ApiException.badRequest(message);
    }

    /**
     * What kube-apiserver answers when a JSON patch cannot be applied (a failed test, a missing path) and for
     * two strategic-merge errors: 422 Invalid with a fixed message and no causes, which kubectl prints as
     * {@code The request is invalid: the server rejected our request due to an error in our request}. The
     * real reason is kept as the exception's cause, for the server's log.
     */
    static ApiException unprocessable(String why) {
        StatusDetails details = new StatusDetails();
        details.setCauses(List.of());
        ApiException e = new ApiException(422, "Invalid",
                "the server rejected our request due to an error in our request", details);
        e.initCause(new IllegalArgumentException(why));
        return e;
    }
}
