package io.kubeha.agent.proxy;

import java.time.Duration;
import java.util.List;

/**
 * What a listener forwards to: the endpoints that take new connections now (ready ones, or, when none is ready,
 * the serving ones that are terminating, as kube-proxy does), and the ClientIP session affinity timeout (zero: none).
 *
 * @param service the service port, "namespace/name:port", for logs
 */
record Route(String service, List<Backend> backends, Duration affinity) {
    Route {
        backends = List.copyOf(backends);
    }
}
