package io.kubeha.apiserver.protobuf;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Which encoding an answer takes, from the client's Accept header, by kube-apiserver's rules: media ranges by
 * quality, then the more specific first ({@code application/vnd.kubernetes.protobuf, *}{@code /*} is protobuf;
 * {@code application/json, *}{@code /*} JSON). Ranges with an {@code as=} parameter (Table, aggregated discovery)
 * were read by the code that builds those answers and are JSON here, as before.
 */
public final class Negotiation {
    public enum Format { JSON, YAML, PROTOBUF }

    private Negotiation() {}

    private record Range(Format format, double q, int specificity, int order) {}

    /**
     * The encodings the client takes, best first. No header, or one naming nothing this server writes, is JSON (as
     * kube-apiserver answers a browser's {@code text/html}); only a header that names protobuf alone leaves JSON out.
     */
    public static List<Format> preferred(String accept) {
        if (accept == null || accept.isBlank()) return List.of(Format.JSON);
        List<Range> ranges = new ArrayList<>();
        boolean asParameter = false;
        int order = 0;
        for (String part : accept.split(",")) {
            String[] params = part.split(";");
            String type = params[0].strip().toLowerCase(Locale.ROOT);
            double q = 1;
            boolean as = false;
            for (int i = 1; i < params.length; i++) {
                String p = params[i].strip().toLowerCase(Locale.ROOT);
                if (p.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(p.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                } else if (p.startsWith("as=")) {
                    as = true;
                }
            }
            if (q <= 0) continue;
            if (as) {
                asParameter = true;
                continue;
            }
            Format f = switch (type) {
                case Protobuf.MEDIA_TYPE -> Format.PROTOBUF;
                case "application/json", "application/*", "*/*", "*" -> Format.JSON;
                case "application/yaml" -> Format.YAML;
                default -> null;
            };
            if (f == null) continue;
            int specificity = type.startsWith("*") ? 0 : type.endsWith("/*") ? 1 : 2;
            ranges.add(new Range(f, q, specificity, order++));
        }
        ranges.sort(Comparator.comparingDouble((Range r) -> -r.q()).thenComparingInt(r -> -r.specificity()).thenComparingInt(Range::order));
        List<Format> out = new ArrayList<>();
        for (Range r : ranges) if (!out.contains(r.format())) out.add(r.format());
        if (out.isEmpty() || asParameter && !out.contains(Format.JSON)) out.add(Format.JSON);
        return out;
    }
}
