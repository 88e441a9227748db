package io.kubeha.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code kubeha vip}: a candidate for the control-plane VIP beside one API server (kube-vip's role as a static pod on
 * each master), for servers started without {@code --vip}.
 */
@Command(name = "vip", mixinStandardHelpOptions = true,
        description = "Holds the control-plane virtual IP while this master's API server is ready (and its agent alive); one holder"
                + " at a time, elected with the Lease kube-system/kubeha-vip.")
final class VipCommand implements Callable<Integer> {
    @Option(names = "--kubeconfig", required = true,
            description = "This master's own API server (not the VIP): the candidate renews through it and forwards to it.")
    Path kubeconfig;

    @Option(names = "--address", required = true, paramLabel = "HOST:PORT", description = "The VIP and its port, e.g. 127.10.102.21:6443.")
    String address;

    @Option(names = "--target", paramLabel = "HOST:PORT",
            description = "Where the holder forwards connections (default: the --kubeconfig's server).")
    String target;

    @Option(names = "--data-dir", defaultValue = "${sys:user.home}/.kubeha/vip",
            description = "keepalived mode: where keepalived.conf, its scripts and state go (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Mixin
    VipOptions vip;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress at = Args.hostPort("--address", address);
        CountDownLatch stop = new CountDownLatch(1);
        try (KubernetesClient client = Clients.fromKubeconfig(kubeconfig)) {
            String api = client.getMasterUrl().toString();
            InetSocketAddress to = target != null ? Args.hostPort("--target", target) : hostPort(URI.create(api));
            try (AutoCloseable candidate = vip.start(client, at, to, api, dataDir, kubeconfig)) {
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                System.err.println("kubeha vip: candidate for " + address + " (forwarding to " + to.getHostString() + ":" + to.getPort()
                        + "), Lease kube-system/kubeha-vip through " + api);
                if (candidate instanceof io.kubeha.vip.Keepalived k) {
                    // keepalived is the daemon here: when it exits, so does this command, with its status
                    Thread.ofPlatform().daemon().start(() -> {
                        try {
                            System.err.println("kubeha vip: keepalived exited with status " + k.waitFor());
                        } catch (InterruptedException e) {
                            return;
                        }
                        stop.countDown();
                    });
                }
                stop.await();
            }
        }
        return 0;
    }

    static InetSocketAddress hostPort(URI url) {
        int port = url.getPort() > 0 ? url.getPort() : url.getScheme().equals("https") ? 443 : 80;
        return new InetSocketAddress(url.getHost().replace("[", "").replace("]", ""), port);
    }
}
