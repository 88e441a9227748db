package io.kubeha.cli;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code kubeha status}: every process of {@code kubeha up}, the VIP holder, the leaders, the nodes and the pods. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the cluster of kubeha up: its processes, the VIP holder, the controller-manager and scheduler leaders, nodes and pods.")
final class StatusCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "${sys:user.home}/.kubeha/up", description = "The cluster's folder (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        Lab lab = new Lab(dir);
        if (apiOnly) return api(lab) ? 0 : 1;
        var procs = lab.recorded();
        if (procs.isEmpty()) {
            System.out.println("no cluster of kubeha up in " + lab.dir + " (start one with kubeha up)");
            return 1;
        }
        System.out.printf("%-16s %-8s %s%n", "PROCESS", "PID", "STATE");
        boolean allAlive = true;
        for (Lab.Proc p : procs) {
            boolean alive = p.alive();
            allAlive &= alive;
            System.out.printf("%-16s %-8d %s%n", p.name(), p.pid(), alive ? "running" : "gone");
        }
        if (!Files.exists(lab.kubeconfig())) return allAlive ? 0 : 1;
        if (lab.net.netns() && !Lab.inNamespace(Lab.namespace("admin"))) {
            // the API is on the LAN: the rest is asked from the admin namespace
            System.out.flush();
            int api = Lab.inAdmin("status", "--dir", lab.dir.toString(), "--api-only");
            return allAlive && api == 0 ? 0 : 1;
        }
        return allAlive & api(lab) ? 0 : 1;
    }

    @Option(names = "--api-only", hidden = true)
    boolean apiOnly;

    private boolean api(Lab lab) throws java.io.IOException {
        if (lab.net.netns()) {
            System.out.println();
            List<String> on = lab.addressHolders();
            System.out.printf("%-24s %s%n", "VIP " + lab.net.vip() + " address on", on.isEmpty() ? "(no master)" : String.join(", ", on));
        }
        try (KubernetesClient client = Clients.fromKubeconfig(lab.kubeconfig(), null)) {
            System.out.println();
            for (String lease : new String[] {"kubeha-vip", "kube-controller-manager", "kube-scheduler"}) {
                Lease l = client.leases().inNamespace("kube-system").withName(lease).get();
                String holder = l == null || l.getSpec() == null || l.getSpec().getHolderIdentity() == null ? "(none)" : l.getSpec().getHolderIdentity();
                System.out.printf("%-24s %s%n", lease.equals("kubeha-vip") ? "VIP " + lab.net.vip() + " held by" : lease + " leader", holder);
            }
            System.out.println();
            for (var n : client.nodes().list().getItems()) {
                String ready = n.getStatus() == null || n.getStatus().getConditions() == null ? "?" : n.getStatus().getConditions().stream()
                        .filter(c -> c.getType().equals("Ready")).map(c -> c.getStatus().equals("True") ? "Ready" : "NotReady").findFirst().orElse("?");
                String role = n.getMetadata().getLabels() == null ? "" : n.getMetadata().getLabels().getOrDefault(Lab.ROLE, "");
                long pods = client.pods().inAnyNamespace().withField("spec.nodeName", n.getMetadata().getName()).list().getItems().size();
                System.out.printf("node %-10s %-9s %-7s %d pods%n", n.getMetadata().getName(), ready, role, pods);
            }
        } catch (RuntimeException e) {
            System.out.println("the API through the VIP does not answer: " + e.getMessage());
            return false;
        }
        return true;
    }
}
