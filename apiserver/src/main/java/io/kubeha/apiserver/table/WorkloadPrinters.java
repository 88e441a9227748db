package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.kubeha.apiserver.table.Fields.list;
import static io.kubeha.apiserver.table.Fields.num;
import static io.kubeha.apiserver.table.Fields.str;

/**
 * The apps group: deployments (READY "3/3", UP-TO-DATE, AVAILABLE), replica sets (DESIRED, CURRENT, READY),
 * daemon sets (DESIRED, CURRENT, READY, UP-TO-DATE, AVAILABLE, NODE SELECTOR), each with wide CONTAINERS,
 * IMAGES, SELECTOR; and controller revisions (CONTROLLER "daemonset.apps/x", REVISION).
 */
final class WorkloadPrinters {
    private WorkloadPrinters() {}

    static final Printer DEPLOYMENTS = Printer.of(List.of(
            Column.NAME,
            Column.string("Ready", Descriptions.READY_PODS),
            Column.string("Up-to-date", Descriptions.DEPLOYMENT_UPDATED),
            Column.string("Available", Descriptions.DEPLOYMENT_AVAILABLE),
            Column.AGE,
            Column.wide("Containers", Descriptions.CONTAINERS),
            Column.wide("Images", Descriptions.IMAGES),
            Column.wide("Selector", Descriptions.DEPLOYMENT_SELECTOR)),
            WorkloadPrinters::deployment);

    static final Printer REPLICA_SETS = Printer.of(List.of(
            Column.NAME,
            Column.integer("Desired", Descriptions.REPLICASET_DESIRED),
            Column.integer("Current", Descriptions.REPLICASET_CURRENT),
            Column.integer("Ready", Descriptions.REPLICASET_READY),
            Column.AGE,
            Column.wide("Containers", Descriptions.CONTAINERS),
            Column.wide("Images", Descriptions.IMAGES),
            Column.wide("Selector", Descriptions.REPLICASET_SELECTOR)),
            WorkloadPrinters::replicaSet);

    static final Printer DAEMON_SETS = Printer.of(List.of(
            Column.NAME,
            Column.integer("Desired", Descriptions.DAEMONSET_DESIRED),
            Column.integer("Current", Descriptions.DAEMONSET_CURRENT),
            Column.integer("Ready", Descriptions.DAEMONSET_READY),
            Column.integer("Up-to-date", Descriptions.DAEMONSET_UPDATED),
            Column.integer("Available", Descriptions.DAEMONSET_AVAILABLE),
            Column.string("Node Selector", Descriptions.NODE_SELECTOR),
            Column.AGE,
            Column.wide("Containers", Descriptions.CONTAINERS),
            Column.wide("Images", Descriptions.IMAGES),
            Column.wide("Selector", Descriptions.DAEMONSET_SELECTOR)),
            WorkloadPrinters::daemonSet);

    static final Printer CONTROLLER_REVISIONS = Printer.of(List.of(
            Column.NAME,
            Column.string("Controller", Descriptions.CONTROLLER),
            Column.string("Revision", Descriptions.REVISION),
            Column.AGE),
            WorkloadPrinters::controllerRevision);

    static List<Object> deployment(JsonNode d, Instant now) {
        JsonNode spec = d.path("spec");
        JsonNode status = d.path("status");
        String[] containers = containerCells(spec);
        // Kube builds the selector and prints "" when it is empty, "<invalid>" when it cannot be built.
        String selector = Labels.selectorString(spec.path("selector")).orElse("<invalid>");
        return List.of(
                Fields.name(d),
                num(status, "readyReplicas") + "/" + desiredReplicas(spec),
                num(status, "updatedReplicas"),
                num(status, "availableReplicas"),
                Fields.age(d, now),
                containers[0],
                containers[1],
                selector);
    }

    static List<Object> replicaSet(JsonNode rs, Instant now) {
        JsonNode spec = rs.path("spec");
        JsonNode status = rs.path("status");
        String[] containers = containerCells(spec);
        return List.of(
                Fields.name(rs),
                desiredReplicas(spec),
                num(status, "replicas"),
                num(status, "readyReplicas"),
                Fields.age(rs, now),
                containers[0],
                containers[1],
                Labels.formatLabelSelector(spec.path("selector")));
    }

    static List<Object> daemonSet(JsonNode ds, Instant now) {
        JsonNode spec = ds.path("spec");
        JsonNode status = ds.path("status");
        String[] containers = containerCells(spec);
        return List.of(
                Fields.name(ds),
                num(status, "desiredNumberScheduled"),
                num(status, "currentNumberScheduled"),
                num(status, "numberReady"),
                num(status, "updatedNumberScheduled"),
                num(status, "numberAvailable"),
                Labels.formatLabels(spec.path("template").path("spec").path("nodeSelector")),
                Fields.age(ds, now),
                containers[0],
                containers[1],
                Labels.formatLabelSelector(spec.path("selector")));
    }

    static List<Object> controllerRevision(JsonNode cr, Instant now) {
        String controller = "<none>";
        for (JsonNode ref : list(cr, "metadata", "ownerReferences")) {
            if (Fields.bool(ref, "controller")) {
                controller = controllerName(str(ref, "apiVersion"), str(ref, "kind"), str(ref, "name"));
                break;
            }
        }
        return List.of(Fields.name(cr), controller, num(cr, "revision"), Fields.age(cr, now));
    }

    /** "kind.group/name" in lower case ("daemonset.apps/fluentd"), "kind/name" for the core group. */
    private static String controllerName(String apiVersion, String kind, String name) {
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        if (group.isEmpty() && kind.isEmpty()) {
            return name;
        }
        String groupKind = group.isEmpty() ? kind : kind + "." + group;
        return groupKind.toLowerCase(Locale.ROOT) + "/" + name;
    }

    /** spec.replicas; apps/v1 defaulting makes a missing value 1. */
    private static long desiredReplicas(JsonNode spec) {
        return Fields.isSet(spec, "replicas") ? num(spec, "replicas") : 1;
    }

    /** The template's container names and images, each comma-joined, in spec order. */
    private static String[] containerCells(JsonNode spec) {
        List<String> names = new ArrayList<>();
        List<String> images = new ArrayList<>();
        for (JsonNode c : list(spec, "template", "spec", "containers")) {
            names.add(str(c, "name"));
            images.add(str(c, "image"));
        }
        return new String[] {String.join(",", names), String.join(",", images)};
    }
}
