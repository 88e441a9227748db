package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The pods of a namespace as a sequence of states: the list at the start, then every watch event from that
 * list's resourceVersion, in the order the API server committed them, each with the time it arrived. Replaying
 * it gives the pods that existed after each change, which is what "at no moment" is checked against.
 */
final class PodHistory implements AutoCloseable {
    /** One change: ADDED, MODIFIED or DELETED, or LISTED for the pods of the initial list, with its arrival time. */
    record Event(String type, Pod pod, Instant at) {
    }

    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final Watch watch;

    private PodHistory(KubernetesClient client, String namespace) {
        PodList list = client.pods().inNamespace(namespace).list();
        Instant now = Instant.now();
        list.getItems().forEach(p -> events.add(new Event("LISTED", p, now)));
        watch = client.pods().inNamespace(namespace).withResourceVersion(list.getMetadata().getResourceVersion())
                .watch(new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, Pod pod) {
                        if (action != Action.BOOKMARK && action != Action.ERROR) {
                            events.add(new Event(action.name(), pod, Instant.now()));
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                        if (cause != null) {
                            events.add(new Event("ERROR", null, Instant.now()));
                        }
                    }
                });
    }

    static PodHistory start(KubernetesClient client, String namespace) {
        return new PodHistory(client, namespace);
    }

    List<Event> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() {
        watch.close();
    }

    /** Ready for at least minReadySeconds at {@code at}, and not being deleted: what Kubernetes calls available. */
    static boolean available(Pod p, int minReadySeconds, Instant at) {
        if (p.getMetadata().getDeletionTimestamp() != null || p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        return p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())
                && (minReadySeconds == 0 || (c.getLastTransitionTime() != null
                && !Instant.parse(c.getLastTransitionTime()).plusSeconds(minReadySeconds).isAfter(at))));
    }

    /** The pods that exist after each event (by name), replayed in order; a gap in the watch is an error. */
    static List<Map<String, Pod>> states(List<Event> history) {
        Map<String, Pod> now = new LinkedHashMap<>();
        List<Map<String, Pod>> out = new ArrayList<>();
        for (Event e : history) {
            switch (e.type()) {
                case "LISTED", "ADDED", "MODIFIED" -> now.put(e.pod().getMetadata().getName(), e.pod());
                case "DELETED" -> now.remove(e.pod().getMetadata().getName());
                default -> throw new AssertionError("the watch broke off: the history is incomplete");
            }
            out.add(new LinkedHashMap<>(now));
        }
        return out;
    }

    /**
     * Every moment at which fewer than {@code minAvailable} of the pods {@code ours} selects were available, or
     * more than {@code maxPods} of them existed (not counting pods being deleted: they are on their way out, as
     * Kubernetes does not count them against maxSurge either). Availability only grows while nothing happens
     * (pods pass minReadySeconds), so checking right after each event, at its arrival, covers every moment.
     */
    static List<String> violations(List<Event> history, Predicate<Pod> ours, int minAvailable, int maxPods, int minReadySeconds) {
        List<String> out = new ArrayList<>();
        List<Map<String, Pod>> states = states(history);
        for (int i = 0; i < states.size(); i++) {
            if (history.get(i).type().equals("LISTED") && i + 1 < history.size() && history.get(i + 1).type().equals("LISTED")) {
                continue; // the initial list is one moment: checked once complete
            }
            Instant at = history.get(i).at();
            List<Pod> pods = states.get(i).values().stream().filter(ours).toList();
            long existing = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).count();
            long available = pods.stream().filter(p -> available(p, minReadySeconds, at)).count();
            Event e = history.get(i);
            String what = "after event " + i + " (" + e.type() + " " + e.pod().getMetadata().getName() + ")";
            if (available < minAvailable) {
                out.add(what + ": " + available + " available < " + minAvailable);
            }
            if (existing > maxPods) {
                out.add(what + ": " + existing + " pods > " + maxPods);
            }
        }
        return out;
    }

    /** The most pods {@code ours} selects that existed at once (not being deleted). */
    static long maxPods(List<Event> history, Predicate<Pod> ours) {
        return states(history).stream().mapToLong(s -> s.values().stream().filter(ours)
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).count()).max().orElse(0);
    }
}
