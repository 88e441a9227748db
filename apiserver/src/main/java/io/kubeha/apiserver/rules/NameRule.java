package io.kubeha.apiserver.rules;

import java.util.List;
import java.util.function.Function;

/** Which format an object's {@code metadata.name} must have; kube picks one per kind. */
enum NameRule {
    /** Most kinds: a DNS subdomain, up to 253 characters. */
    DNS_SUBDOMAIN(Names::dns1123Subdomain),
    /** Namespaces: their names become DNS labels of service names. */
    DNS_LABEL(Names::dns1123Label),
    /** Services: their names become DNS labels and environment variable names, so they start with a letter. */
    DNS1035_LABEL(Names::dns1035Label),
    /** Kinds whose names only need to be a safe URL path segment (RBAC roles and bindings). */
    PATH_SEGMENT(Names::pathSegment),
    /** Kinds whose names kube does not check at all (CertificateSigningRequests: "we don't care what you call them"). */
    ANY(name -> List.of());

    private final Function<String, List<String>> check;

    NameRule(Function<String, List<String>> check) {
        this.check = check;
    }

    List<String> check(String name) {
        return check.apply(name);
    }
}
