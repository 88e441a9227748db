package io.kubeha.logapi;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The cluster log API: a pod's log and a namespace's events, read through the API server and answered as JSON.
 * Kept apart from {@link LogApi} so that Jackson is loaded only when one of these is first asked for.
 */
final class ClusterEndpoints {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private final ClusterApi api;

    ClusterEndpoints(ClusterApi api) {
        this.api = api;
    }

    /** {@code /api/log/pods/NS/POD?tailLines=N&container=C}: the pod's log, one string per line. */
    byte[] podLog(String rest, Map<String, String> query) {
        String[] parts = rest.split("/", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw HttpError.notFound("no such endpoint: /api/log/pods/" + rest + "; the pods endpoint is /api/log/pods/{namespace}/{pod}");
        }
        String ns = namespace(parts[0]);
        String pod = parts[1];
        if (!DNS_SUBDOMAIN.matcher(pod).matches()) {
            throw HttpError.badRequest("'" + pod + "' is not a valid pod name (lower case letters, digits, '-' and '.')");
        }
        StringBuilder q = new StringBuilder();
        String tail = query.get("tailLines");
        Long tailLines = null;
        if (tail != null) {
            try {
                tailLines = Long.parseLong(tail.trim());
            } catch (NumberFormatException e) {
                tailLines = -1L;
            }
            if (tailLines < 0) throw HttpError.badRequest("tailLines must be a whole number, 0 or more: " + tail);
            q.append("tailLines=").append(tailLines);
        }
        String container = query.get("container");
        if (container != null) {
            if (!DNS_LABEL.matcher(container).matches()) throw HttpError.badRequest("'" + container + "' is not a valid container name");
            q.append(q.isEmpty() ? "" : "&").append("container=").append(URLEncoder.encode(container, StandardCharsets.UTF_8));
        }
        String text = api.getText("/api/v1/namespaces/" + ns + "/pods/" + pod + "/log" + (q.isEmpty() ? "" : "?" + q),
                "the logs of pod " + ns + "/" + pod);
        ObjectNode n = Json.object();
        n.put("namespace", ns);
        n.put("pod", pod);
        if (container != null) n.put("container", container);
        if (tailLines != null) n.put("tailLines", tailLines);
        ArrayNode lines = n.putArray("lines");
        if (!text.isEmpty()) {
            for (String line : text.split("\r?\n", -1)) lines.add(line);
            if (text.endsWith("\n")) lines.remove(lines.size() - 1);
        }
        return Json.Mapper.MAPPER.writeValueAsBytes(n);
    }

    /** {@code /api/log/events?namespace=NS}: the events of a namespace (all without it), oldest first. */
    byte[] events(Map<String, String> query) {
        String ns = query.get("namespace");
        if (ns != null && ns.isEmpty()) ns = null;
        if (ns != null) namespace(ns);
        JsonNode list = api.getJson(ns == null ? "/api/v1/events" : "/api/v1/namespaces/" + ns + "/events",
                ns == null ? "the events of all namespaces" : "the events of namespace " + ns);
        List<ObjectNode> events = new ArrayList<>();
        for (JsonNode item : list.path("items")) events.add(event(item));
        events.sort(Comparator.comparing((ObjectNode e) -> instant(e.path("lastTimestamp").asString("")))
                .thenComparing(e -> e.path("name").asString("")));
        ObjectNode n = Json.object();
        if (ns != null) n.put("namespace", ns);
        n.put("count", events.size());
        n.putArray("events").addAll(events);
        return Json.Mapper.MAPPER.writeValueAsBytes(n);
    }

    /** An Event as a person reads it, as kubectl get events shows it: when, what kind, why, about what. */
    private static ObjectNode event(JsonNode item) {
        JsonNode md = item.path("metadata");
        ObjectNode e = Json.object();
        e.put("namespace", md.path("namespace").asString(""));
        e.put("name", md.path("name").asString(""));
        e.put("type", item.path("type").asString(""));
        e.put("reason", item.path("reason").asString(""));
        e.put("message", item.path("message").asString(""));
        JsonNode io = item.path("involvedObject");
        ObjectNode object = e.putObject("object");
        object.put("kind", io.path("kind").asString(""));
        object.put("name", io.path("name").asString(""));
        if (io.has("namespace")) object.put("namespace", io.path("namespace").asString(""));
        if (io.has("fieldPath")) object.put("fieldPath", io.path("fieldPath").asString(""));
        int count = item.path("count").asInt(item.path("series").path("count").asInt(1));
        e.put("count", Math.max(count, 1));
        String created = md.path("creationTimestamp").asString("");
        String eventTime = item.path("eventTime").asString("");
        String first = firstNonEmpty(item.path("firstTimestamp").asString(""), eventTime, created);
        String last = firstNonEmpty(item.path("lastTimestamp").asString(""), item.path("series").path("lastObservedTime").asString(""), eventTime, created);
        e.put("firstTimestamp", first);
        e.put("lastTimestamp", last);
        String component = firstNonEmpty(item.path("source").path("component").asString(""), item.path("reportingComponent").asString(""));
        String host = firstNonEmpty(item.path("source").path("host").asString(""), item.path("reportingInstance").asString(""));
        e.put("source", host.isEmpty() ? component : component + ", " + host);
        return e;
    }


    // ---------------------------------------------------------------- helpers

    private static String namespace(String ns) {
        if (!DNS_LABEL.matcher(ns).matches()) {
            throw HttpError.badRequest("'" + ns + "' is not a valid namespace name (lower case letters, digits and '-', at most 63)");
        }
        return ns;
    }

    private static String firstNonEmpty(String... values) {
        for (String v : values) if (v != null && !v.isEmpty()) return v;
        return "";
    }

    private static Instant instant(String s) {
        try {
            return s.isEmpty() ? Instant.EPOCH : Instant.parse(s);
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }
}
