package io.kubeha.controllers.nodeipam;

/**
 * kube-controller-manager's node IPAM flags ({@code --allocate-node-cidrs} is whether these are given at all).
 *
 * @param clusterCidr      {@code --cluster-cidr}: the IPv4 range every node's pod range comes from, e.g. 10.244.0.0/16
 * @param nodeCidrMaskSize {@code --node-cidr-mask-size}: the prefix length of each node's range (kube's default for
 *                         IPv4: 24)
 */
public record NodeIpamOptions(String clusterCidr, int nodeCidrMaskSize) {
    /** kube's --node-cidr-mask-size default for IPv4. */
    public static final int DEFAULT_MASK_SIZE = 24;

    /** Validated as the allocator will be built from them: a bad value fails here, before the manager starts. */
    public NodeIpamOptions {
        clusterCidr = new RangeAllocator(clusterCidr, nodeCidrMaskSize).clusterCidr();
    }

    RangeAllocator allocator() {
        return new RangeAllocator(clusterCidr, nodeCidrMaskSize);
    }
}
