package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Service;

import java.util.List;

/** The nodes (with their pods) and services one scheduling cycle decides on: read once, from the informers. */
record ClusterSnapshot(List<NodeInfo> nodes, List<Service> services) {
}
