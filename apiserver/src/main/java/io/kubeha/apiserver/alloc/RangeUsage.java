package io.kubeha.apiserver.alloc;

/**
 * How full one range is, for metrics and status (kube-apiserver exports the same as
 * {@code kube_apiserver_clusterip_allocator_allocated_ips} / {@code ..._available_ips} and the nodeport pair).
 *
 * @param range as the flag gives it: {@code 10.0.0.0/24}, {@code 30000-32767}
 * @param size  how many values the range can hand out
 * @param used  how many are allocated now
 */
public record RangeUsage(Kind kind, String range, long size, long used) {
    public long free() {
        return Math.max(0, size - used);
    }
}
