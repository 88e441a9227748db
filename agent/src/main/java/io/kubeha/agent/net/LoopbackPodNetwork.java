package io.kubeha.agent.net;

import java.nio.file.Path;
import java.util.Optional;

/** Loopback mode: a pod's address is a loopback one its processes bind in the node's namespace; nothing to make. */
final class LoopbackPodNetwork implements PodNetwork {
    static final LoopbackPodNetwork INSTANCE = new LoopbackPodNetwork();

    private LoopbackPodNetwork() {
    }

    @Override
    public void setUp(String uid, String ip) {
        // 127.0.0.0/8 is routed to lo already
    }

    @Override
    public void tearDown(String uid) {
        // nothing was made
    }

    @Override
    public Optional<Path> namespace(String uid) {
        return Optional.empty();
    }
}
