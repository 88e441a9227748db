package io.kubeha.apiserver.alloc;

/** The two things a Service is allocated from shared ranges. */
public enum Kind {
    CLUSTER_IP("clusterIP"),
    NODE_PORT("nodePort");

    private final String display;

    Kind(String display) {
        this.display = display;
    }

    /** As the Service's field calls it: {@code clusterIP}, {@code nodePort}. */
    @Override
    public String toString() {
        return display;
    }
}
