package io.kubeha.client.failover;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds an {@link ApiServerBalancer} the live API servers: the {@code default/kubernetes} Endpoints, which every API
 * server keeps to the servers whose endpoint lease is fresh (kube-apiserver's lease reconciler). Watched through the
 * balancer itself, as k3s's agent does: while any server answers, the list stays current.
 */
public final class KubernetesEndpoints implements AutoCloseable {
    private final SharedIndexInformer<Endpoints> informer;

    public KubernetesEndpoints(KubernetesClient client, ApiServerBalancer balancer) {
        this.informer = client.endpoints().inNamespace("default").withName("kubernetes").inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Endpoints e) {
                update(e);
            }

            @Override
            public void onUpdate(Endpoints before, Endpoints e) {
                update(e);
            }

            @Override
            public void onDelete(Endpoints e, boolean unknown) {
                // keep the last list: a deleted kubernetes Endpoints is remade by the next server's reconcile
            }

            private void update(Endpoints e) {
                List<InetSocketAddress> live = addresses(e);
                if (!live.isEmpty()) balancer.servers(live);
            }
        });
    }

    /** Every address with the https port (the kubernetes Service's one port), sorted as the Endpoints are. */
    static List<InetSocketAddress> addresses(Endpoints e) {
        List<InetSocketAddress> out = new ArrayList<>();
        if (e.getSubsets() == null) return out;
        for (EndpointSubset s : e.getSubsets()) {
            if (s.getPorts() == null || s.getAddresses() == null) continue;
            for (EndpointPort p : s.getPorts()) {
                if (p.getPort() == null || (p.getName() != null && !p.getName().isEmpty() && !p.getName().equals("https"))) continue;
                for (EndpointAddress a : s.getAddresses()) {
                    InetSocketAddress addr = new InetSocketAddress(a.getIp(), p.getPort());
                    if (!out.contains(addr)) out.add(addr);
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        informer.close();
    }
}
