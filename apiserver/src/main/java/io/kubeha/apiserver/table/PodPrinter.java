package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.kubeha.apiserver.table.Fields.bool;
import static io.kubeha.apiserver.table.Fields.list;
import static io.kubeha.apiserver.table.Fields.num;
import static io.kubeha.apiserver.table.Fields.orElse;
import static io.kubeha.apiserver.table.Fields.present;
import static io.kubeha.apiserver.table.Fields.str;
import static io.kubeha.apiserver.table.Fields.time;

/**
 * Pods: NAME, READY, STATUS, RESTARTS, AGE; wide IP, NODE, NOMINATED NODE, READINESS GATES.
 *
 * <p>STATUS is the part people read most and the one with the most rules; it follows kube's printPod step
 * by step: the phase (or status.reason), then the first init container that has not finished
 * ("Init:1/3", "Init:CrashLoopBackOff", "Init:ExitCode:1"), then the containers from last to first so that
 * the first container's waiting or terminated reason wins ("ContainerCreating", "CrashLoopBackOff",
 * "Completed", "Error"), then "Terminating" / "Unknown" for pods being deleted. Sidecars (init containers
 * with restartPolicy Always) count as containers once started.
 */
final class PodPrinter implements Printer {
    static final PodPrinter INSTANCE = new PodPrinter();

    /** node.NodeUnreachablePodReason: the node controller marks pods of an unreachable node with it. */
    private static final String NODE_LOST = "NodeLost";

    private static final List<Column> COLUMNS = List.of(
            Column.NAME,
            Column.string("Ready", Descriptions.POD_READY),
            Column.string("Status", Descriptions.POD_STATUS),
            Column.string("Restarts", Descriptions.POD_RESTARTS),
            Column.AGE,
            Column.wide("IP", Descriptions.POD_IP),
            Column.wide("Node", Descriptions.POD_NODE_NAME),
            Column.wide("Nominated Node", Descriptions.POD_NOMINATED_NODE),
            Column.wide("Readiness Gates", Descriptions.POD_READINESS_GATES));

    private static final List<RowCondition> SUCCEEDED = List.of(
            new RowCondition("Completed", "True", "Succeeded", "The pod has completed successfully."));
    private static final List<RowCondition> FAILED = List.of(
            new RowCondition("Completed", "True", "Failed", "The pod failed."));

    private PodPrinter() {}

    @Override
    public List<Column> columns() {
        return COLUMNS;
    }

    @Override
    public List<RowCondition> conditions(JsonNode pod) {
        return switch (str(pod, "status", "phase")) {
            case "Succeeded" -> SUCCEEDED;
            case "Failed" -> FAILED;
            default -> List.of();
        };
    }

    @Override
    public List<Object> cells(JsonNode pod, Instant now) {
        JsonNode spec = pod.path("spec");
        JsonNode status = pod.path("status");
        String phase = str(status, "phase");
        String reason = orElse(str(status, "reason"), phase);
        for (JsonNode c : list(status, "conditions")) {
            if ("PodScheduled".equals(str(c, "type")) && "SchedulingGated".equals(str(c, "reason"))) {
                reason = "SchedulingGated";
            }
        }

        int totalContainers = list(spec, "containers").size();
        Map<String, JsonNode> initContainers = new HashMap<>();
        List<JsonNode> initSpecs = list(spec, "initContainers");
        for (JsonNode c : initSpecs) {
            initContainers.put(str(c, "name"), c);
            if (isRestartable(c)) {
                totalContainers++;
            }
        }

        int restarts = 0;
        int sidecarRestarts = 0;
        int readyContainers = 0;
        Instant lastRestart = null;
        Instant lastSidecarRestart = null;
        boolean initializing = false;
        List<JsonNode> initStatuses = list(status, "initContainerStatuses");
        for (int i = 0; i < initStatuses.size(); i++) {
            JsonNode c = initStatuses.get(i);
            boolean restartable = isRestartable(initContainers.get(str(c, "name")));
            restarts += (int) num(c, "restartCount");
            lastRestart = later(lastRestart, lastTermination(c));
            if (restartable) {
                sidecarRestarts += (int) num(c, "restartCount");
                lastSidecarRestart = later(lastSidecarRestart, lastTermination(c));
            }
            JsonNode terminated = c.path("state").path("terminated");
            JsonNode waiting = c.path("state").path("waiting");
            if (terminated.isObject() && num(terminated, "exitCode") == 0) {
                continue; // finished: look at the next one
            }
            if (restartable && bool(c, "started")) {
                if (bool(c, "ready")) {
                    readyContainers++;
                }
                continue; // a started sidecar does not hold up initialization
            }
            if (terminated.isObject()) {
                String r = str(terminated, "reason");
                if (r.isEmpty()) {
                    long signal = num(terminated, "signal");
                    reason = signal != 0 ? "Init:Signal:" + signal : "Init:ExitCode:" + num(terminated, "exitCode");
                } else {
                    reason = "Init:" + r;
                }
            } else if (waiting.isObject() && !str(waiting, "reason").isEmpty()
                    && !"PodInitializing".equals(str(waiting, "reason"))) {
                reason = "Init:" + str(waiting, "reason");
            } else {
                reason = "Init:" + i + "/" + initSpecs.size();
            }
            initializing = true;
            break;
        }

        if (!initializing || conditionTrue(status, "Initialized")) {
            // Past initialization only sidecar restarts still count, plus the containers'.
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            boolean hasRunning = false;
            List<JsonNode> statuses = list(status, "containerStatuses");
            for (int i = statuses.size() - 1; i >= 0; i--) {
                JsonNode c = statuses.get(i);
                restarts += (int) num(c, "restartCount");
                lastRestart = later(lastRestart, lastTermination(c));
                JsonNode terminated = c.path("state").path("terminated");
                JsonNode waiting = c.path("state").path("waiting");
                if (waiting.isObject() && !str(waiting, "reason").isEmpty()) {
                    reason = str(waiting, "reason");
                } else if (terminated.isObject() && !str(terminated, "reason").isEmpty()) {
                    reason = str(terminated, "reason");
                } else if (terminated.isObject()) {
                    long signal = num(terminated, "signal");
                    reason = signal != 0 ? "Signal:" + signal : "ExitCode:" + num(terminated, "exitCode");
                } else if (bool(c, "ready") && present(c, "state", "running")) {
                    hasRunning = true;
                    readyContainers++;
                }
            }
            // One container completed while another still runs: the pod is not "Completed".
            if ("Completed".equals(reason) && hasRunning) {
                reason = conditionTrue(status, "Ready") ? "Running" : "NotReady";
            }
        }

        boolean deleting = Fields.isSet(pod, "metadata", "deletionTimestamp");
        if (deleting && NODE_LOST.equals(str(status, "reason"))) {
            reason = "Unknown";
        } else if (deleting && !"Failed".equals(phase) && !"Succeeded".equals(phase)) {
            reason = "Terminating";
        }

        String restartsCell = Integer.toString(restarts);
        if (restarts != 0 && lastRestart != null) {
            restartsCell = restarts + " (" + Fields.since(lastRestart, now) + " ago)";
        }

        return List.of(
                Fields.name(pod),
                readyContainers + "/" + totalContainers,
                reason,
                restartsCell,
                Fields.age(pod, now),
                orElse(podIP(status), "<none>"),
                orElse(str(spec, "nodeName"), "<none>"),
                orElse(str(status, "nominatedNodeName"), "<none>"),
                readinessGates(spec, status));
    }

    /** podutil.IsRestartableInitContainer: an init container with restartPolicy Always is a sidecar. */
    private static boolean isRestartable(JsonNode initContainer) {
        return initContainer != null && "Always".equals(str(initContainer, "restartPolicy"));
    }

    private static Instant lastTermination(JsonNode containerStatus) {
        JsonNode terminated = containerStatus.path("lastState").path("terminated");
        return terminated.isObject() ? time(terminated, "finishedAt") : null;
    }

    private static Instant later(Instant current, Instant candidate) {
        if (candidate == null) {
            return current;
        }
        return current == null || candidate.isAfter(current) ? candidate : current;
    }

    /** The first condition of the type decides (a pod has each condition type at most once). */
    private static boolean conditionTrue(JsonNode status, String type) {
        for (JsonNode c : list(status, "conditions")) {
            if (type.equals(str(c, "type"))) {
                return "True".equals(str(c, "status"));
            }
        }
        return false;
    }

    /**
     * Kube prints status.podIPs[0]; it falls back here to status.podIP for a pod whose podIPs was never
     * filled in (kube validates podIPs[0] == podIP, so for its own objects the two agree).
     */
    private static String podIP(JsonNode status) {
        List<JsonNode> ips = list(status, "podIPs");
        if (!ips.isEmpty()) {
            return str(ips.get(0), "ip");
        }
        return str(status, "podIP");
    }

    /** "1/2": how many of the readiness gates' conditions are True; "<none>" without gates. */
    private static String readinessGates(JsonNode spec, JsonNode status) {
        List<JsonNode> gates = list(spec, "readinessGates");
        if (gates.isEmpty()) {
            return "<none>";
        }
        int trueConditions = 0;
        for (JsonNode gate : gates) {
            String type = str(gate, "conditionType");
            for (JsonNode c : list(status, "conditions")) {
                if (type.equals(str(c, "type"))) {
                    if ("True".equals(str(c, "status"))) {
                        trueConditions++;
                    }
                    break;
                }
            }
        }
        return trueConditions + "/" + gates.size();
    }
}
