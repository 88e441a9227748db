package io.kubeha.apiserver.http;

import java.util.List;
import java.util.Set;

/**
 * What a resource request addresses, parsed from its path as kube-apiserver's RequestInfoFactory does:
 * {@code /api/v1/namespaces/NS/RESOURCE/NAME/SUBRESOURCE} or {@code /apis/GROUP/VERSION/...}.
 */
public record RequestInfo(String group, String version, String namespace, String resource, String name, String subresource) {
    private static final Set<String> NAMESPACE_SUBRESOURCES = Set.of("status", "finalize");

    /** Parses the part after {@code /api/v1/} or {@code /apis/G/V/}; null when it is not a resource path. */
    static RequestInfo parse(String group, String version, List<String> parts) {
        if (parts.isEmpty()) return null;
        String namespace = null;
        List<String> rest = parts;
        if (parts.get(0).equals("namespaces") && parts.size() > 1) {
            namespace = parts.get(1);
            if (parts.size() > 2 && !NAMESPACE_SUBRESOURCES.contains(parts.get(2))) {
                rest = parts.subList(2, parts.size());
            } else {
                // the namespace object itself: /api/v1/namespaces/NAME[/status|/finalize]
                return new RequestInfo(group, version, null, "namespaces", parts.get(1), parts.size() > 2 ? parts.get(2) : null);
            }
        }
        if (rest.size() > 3) return null;
        return new RequestInfo(group, version, namespace, rest.get(0), rest.size() > 1 ? rest.get(1) : null,
                rest.size() > 2 ? rest.get(2) : null);
    }
}
