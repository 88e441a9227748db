package io.kubeha.agent.pod;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.agent.images.ImageStore;
import io.kubeha.agent.net.PodNetwork;
import io.kubeha.agent.runtime.ContainerRuntime;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What every pod worker of one node shares.
 *
 * @param podsDir        where pods' working folders live (one per pod uid)
 * @param logsDir        where containers' logs live, as the kubelet's /var/log/pods: NS_NAME_UID/CONTAINER/N.log
 * @param initialBackoff the first restart back-off after a container ended (the kubelet's 10s), doubling to max
 * @param java           the java launcher for jar images
 * @param jvmOptions     options for jar images' JVMs (small footprints: many run on one machine)
 * @param clusterDns     the cluster DNS service's address for pods' resolv.conf (dnsPolicy ClusterFirst); null for none
 * @param clusterDomain  the cluster's DNS domain (cluster.local)
 * @param network        sets up and tears down each pod's network for its address (loopback or --netns mode)
 */
public record PodContext(KubernetesClient client, String nodeName, String hostIp, ContainerRuntime runtime, ImageStore images,
                         PodIps ips, Path podsDir, Path logsDir, Clock clock, Duration initialBackoff, Duration maxBackoff,
                         String java, List<String> jvmOptions, Events events, String clusterDns, String clusterDomain,
                         PodNetwork network) {
    public PodContext {
        Objects.requireNonNull(network, "network");
    }

    /** Loopback mode: pods' addresses are loopback ones, nothing to set up. */
    public PodContext(KubernetesClient client, String nodeName, String hostIp, ContainerRuntime runtime, ImageStore images,
                      PodIps ips, Path podsDir, Path logsDir, Clock clock, Duration initialBackoff, Duration maxBackoff,
                      String java, List<String> jvmOptions, Events events, String clusterDns, String clusterDomain) {
        this(client, nodeName, hostIp, runtime, images, ips, podsDir, logsDir, clock, initialBackoff, maxBackoff, java, jvmOptions,
                events, clusterDns, clusterDomain, PodNetwork.loopback());
    }

    /** The same, with pods' networks set up by {@code network}. */
    public PodContext withNetwork(PodNetwork network) {
        return new PodContext(client, nodeName, hostIp, runtime, images, ips, podsDir, logsDir, clock, initialBackoff, maxBackoff, java,
                jvmOptions, events, clusterDns, clusterDomain, network);
    }

    /** Records Events about a pod (the kubelet's Pulled/Created/Started/Killing/Unhealthy/BackOff). */
    public interface Events {
        void pod(io.fabric8.kubernetes.api.model.Pod pod, String type, String reason, String message);
    }
}
