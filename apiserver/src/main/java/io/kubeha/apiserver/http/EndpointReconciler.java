package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.storage.ObjectStorage;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Keeps the {@code kubernetes} Service's endpoints to the API servers that are alive, as kube-apiserver's lease
 * endpoint reconciler ({@code --endpoint-reconciler-type=lease}, its default) does: every server renews a lease of its
 * own every {@link #INTERVAL} and sets the Endpoints and EndpointSlice {@code default/kubernetes} to the addresses whose
 * lease has not run out ({@link #LEASE_DURATION}). A server that stops cleanly takes its lease and its address away at
 * once; one that dies (kill -9, its machine lost) drops out once its lease has run out, so pods that reach the API
 * through the kubernetes Service are no longer sent to it.
 * <p>
 * kube-apiserver keeps these leases as etcd keys with a TTL ({@code /masterleases/IP}); the store here has no TTLs, so
 * they are coordination.k8s.io/v1 Leases in kube-system, named {@code kube-apiserver-endpoint-IP-PORT} and labelled
 * {@value #LABEL}, their holderIdentity the server's {@code IP:PORT}, and whether one has run out is judged from its
 * renewTime on the judging server's clock (masters' clocks are assumed to agree within a few seconds, as leader
 * election assumes too).
 * <p>
 * Endpoints get one subset per port (addresses sorted); the EndpointSlice {@code kubernetes} holds the addresses of
 * the Service's target port, and servers on another port get a slice {@code kubernetes-PORT}, since one slice has
 * one set of ports.
 */
final class EndpointReconciler {
    /** Shorter than kube-apiserver's 10 s: a slow round on a loaded machine must not let a live server's 15 s lease run out. */
    static final Duration INTERVAL = Duration.ofSeconds(5);
    static final Duration LEASE_DURATION = Duration.ofSeconds(15);
    static final String LABEL = "apiserver.kubeha.io/endpoint";
    private static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private final ObjectStorage leases;
    private final ObjectStorage endpoints;
    private final ObjectStorage slices;
    private final Clock clock;
    private final String ip;
    private final int port;
    private final Duration leaseDuration;
    private final int mainPort;

    /**
     * @param mainPort the kubernetes Service's targetPort: the servers on it are in the slice named kubernetes
     */
    EndpointReconciler(ObjectStorage leases, ObjectStorage endpoints, ObjectStorage slices, Clock clock, String ip, int port,
                       Duration leaseDuration, int mainPort) {
        this.mainPort = mainPort;
        this.leases = leases;
        this.endpoints = endpoints;
        this.slices = slices;
        this.clock = clock;
        this.ip = ip;
        this.port = port;
        this.leaseDuration = leaseDuration;
    }

    private String leaseName() {
        return leaseName(ip, port);
    }

    static String leaseName(String ip, int port) {
        return "kube-apiserver-endpoint-" + ip.replace(':', '-').replace('.', '-') + "-" + port;
    }

    /** Renews this server's lease, then sets the endpoints to every server whose lease holds. */
    void reconcile() {
        renew();
        apply(false);
        collectExpired();
    }

    /** A clean stop: this server's lease goes, and its address with it. */
    void remove() {
        try {
            leases.delete("kube-system", leaseName(), 0);
        } catch (ApiException e) {
            if (e.code() != 404) throw e;
        }
        apply(true);
    }

    /**
     * Leases that ran out long ago (a server on an address no longer used): kube-apiserver's vanish with their TTL,
     * these are deleted once they are {@link #FORGET_AFTER} leases old.
     */
    private void collectExpired() {
        Instant cutoff = Instant.now(clock).minus(leaseDuration.multipliedBy(FORGET_AFTER));
        for (ObjectNode lease : leases.list("kube-system", 0, 0, null, o -> o.path("metadata").path("labels").has(LABEL)).items()) {
            Instant renewed = renewTime(lease);
            if (renewed != null && renewed.isAfter(cutoff)) continue;
            String name = lease.path("metadata").path("name").asString("");
            try {
                leases.delete("kube-system", name, Long.parseLong(lease.path("metadata").path("resourceVersion").asString("0")));
            } catch (ApiException | NumberFormatException e) {
                // renewed meanwhile, or gone: either is fine
            }
        }
    }

    static final int FORGET_AFTER = 20;

    private void renew() {
        String now = micro(Instant.now(clock));
        if (leases.find("kube-system", leaseName()).isEmpty()) {
            ObjectNode lease = Json.object();
            lease.put("apiVersion", "coordination.k8s.io/v1");
            lease.put("kind", "Lease");
            ObjectNode meta = lease.putObject("metadata");
            meta.put("name", leaseName());
            meta.put("namespace", "kube-system");
            meta.put("uid", UUID.randomUUID().toString());
            meta.put("creationTimestamp", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
            meta.putObject("labels").put(LABEL, "true");
            ObjectNode spec = lease.putObject("spec");
            spec.put("holderIdentity", ip + ":" + port);
            spec.put("leaseDurationSeconds", leaseDuration.toSeconds());
            spec.put("acquireTime", now);
            spec.put("renewTime", now);
            try {
                leases.create("kube-system", leaseName(), lease);
                return;
            } catch (ApiException e) {
                if (e.code() != 409) throw e; // made meanwhile (a restart of this very server): renew it below
            }
        }
        leases.update("kube-system", leaseName(), 0, old -> {
            ObjectNode spec = old.withObject("spec");
            spec.put("holderIdentity", ip + ":" + port);
            spec.put("leaseDurationSeconds", leaseDuration.toSeconds());
            spec.put("renewTime", now);
            return old;
        });
    }

    /** Port to addresses of every server whose lease holds now (without this one when {@code leaving}). */
    private Map<Integer, TreeSet<String>> live(boolean leaving) {
        Instant now = Instant.now(clock);
        Map<Integer, TreeSet<String>> out = new TreeMap<>();
        for (ObjectNode lease : leases.list("kube-system", 0, 0, null, o -> o.path("metadata").path("labels").has(LABEL)).items()) {
            JsonNode spec = lease.path("spec");
            String holder = spec.path("holderIdentity").asString("");
            int colon = holder.lastIndexOf(':');
            if (colon <= 0) continue;
            if (leaving && holder.equals(ip + ":" + port)) continue;
            Instant renewed = renewTime(lease);
            long seconds = spec.path("leaseDurationSeconds").asLong(LEASE_DURATION.toSeconds());
            if (renewed == null || !renewed.plusSeconds(seconds).isAfter(now)) continue; // run out: that server is gone
            try {
                out.computeIfAbsent(Integer.parseInt(holder.substring(colon + 1)), p -> new TreeSet<>()).add(holder.substring(0, colon));
            } catch (NumberFormatException e) {
                // not one of ours
            }
        }
        return out;
    }

    private static Instant renewTime(ObjectNode lease) {
        try {
            return Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(lease.path("spec").path("renewTime").asString("")));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Writes the endpoints (only when they differ: no new revision every interval). The live servers are read
     * inside each read-modify-write, so a write that lost a race with another server's is redone with what that
     * server's change left (a server that just left is never written back by one that read the leases before).
     */
    private void apply(boolean leaving) {
        endpoints.update("default", "kubernetes", 0, old -> {
            ArrayNode subsets = Json.object().putArray("subsets");
            live(leaving).forEach((p, ips) -> {
                ObjectNode subset = subsets.addObject();
                ArrayNode addresses = subset.putArray("addresses");
                ips.forEach(a -> addresses.addObject().put("ip", a));
                subset.putArray("ports").addObject().put("name", "https").put("port", p).put("protocol", "TCP");
            });
            boolean none = subsets.isEmpty();
            if (Objects.equals(old.path("subsets"), subsets) || (none && old.path("subsets").isMissingNode())) return null;
            if (none) {
                old.remove("subsets");
            } else {
                old.set("subsets", subsets);
            }
            return old;
        });
        Map<Integer, TreeSet<String>> live = live(leaving);
        List<String> wanted = new ArrayList<>();
        wanted.add("kubernetes");
        slice("kubernetes", mainPort, leaving);
        for (int p : live.keySet()) {
            if (p == mainPort) continue;
            wanted.add("kubernetes-" + p);
            slice("kubernetes-" + p, p, leaving);
        }
        for (ObjectNode s : slices.list("default", 0, 0, null,
                o -> "kubernetes".equals(o.path("metadata").path("labels").path(SERVICE_NAME_LABEL).asString(""))).items()) {
            String name = s.path("metadata").path("name").asString("");
            if (wanted.contains(name)) continue;
            try {
                slices.delete("default", name, 0);
            } catch (ApiException e) {
                if (e.code() != 404) throw e;
            }
        }
    }

    /** The slice of the servers on port {@code p}, read from the leases inside its read-modify-write. */
    private void slice(String name, int p, boolean leaving) {
        if (slices.find("default", name).isEmpty()) {
            ObjectNode slice = Json.object();
            slice.put("apiVersion", "discovery.k8s.io/v1");
            slice.put("kind", "EndpointSlice");
            ObjectNode meta = slice.putObject("metadata");
            meta.put("name", name);
            meta.put("namespace", "default");
            meta.put("uid", UUID.randomUUID().toString());
            meta.put("creationTimestamp", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
            meta.put("generation", 1);
            meta.putObject("labels").put(SERVICE_NAME_LABEL, "kubernetes");
            slice.put("addressType", "IPv4");
            slice.putArray("endpoints");
            slice.putArray("ports").addObject().put("name", "https").put("port", p).put("protocol", "TCP");
            try {
                slices.create("default", name, slice);
            } catch (ApiException e) {
                if (e.code() != 409) throw e;
            }
        }
        slices.update("default", name, 0, old -> {
            ArrayNode eps = Json.object().putArray("endpoints");
            for (String a : live(leaving).getOrDefault(p, new TreeSet<>())) {
                ObjectNode ep = eps.addObject();
                ep.putArray("addresses").add(a);
                ep.putObject("conditions").put("ready", true).put("serving", true).put("terminating", false);
            }
            ArrayNode ports = Json.object().putArray("ports");
            ports.addObject().put("name", "https").put("port", p).put("protocol", "TCP");
            if (Objects.equals(old.path("endpoints"), eps) && Objects.equals(old.path("ports"), ports)) return null;
            old.set("endpoints", eps);
            old.set("ports", ports);
            return old;
        });
    }

    /** A Kubernetes MicroTime, as a Lease's renewTime is written. */
    private static final DateTimeFormatter MICRO_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSX")
            .withZone(java.time.ZoneOffset.UTC);

    private static String micro(Instant i) {
        return MICRO_TIME.format(i.truncatedTo(ChronoUnit.MICROS));
    }

    @Override
    public String toString() {
        return "endpoint reconciler of " + ip + ":" + port;
    }
}
