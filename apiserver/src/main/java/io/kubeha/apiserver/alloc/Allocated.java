package io.kubeha.apiserver.alloc;

import java.util.Objects;

/**
 * One ClusterIP or NodePort and the Service it belongs to.
 *
 * @param value the address ({@code 10.0.0.10}) or port ({@code 31070}) as text
 */
public record Allocated(Kind kind, String value, ServiceRef owner) {
    public Allocated {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return kind + " " + value + (owner == null ? "" : " (" + owner + ")");
    }
}
