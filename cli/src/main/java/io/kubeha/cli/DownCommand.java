package io.kubeha.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Callable;

/** {@code kubeha down}: stops everything {@code kubeha up} started (processes and their pods); the state stays for the next up. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stops the cluster of kubeha up (its processes and pods). Its state stays in DIR for the next up; --purge removes it.")
final class DownCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "${sys:user.home}/.kubeha/up", description = "The cluster's folder (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--purge", description = "Also remove DIR: etcd's data, the PKI, the logs.")
    boolean purge;

    @Override
    public Integer call() throws Exception {
        Lab lab = new Lab(dir);
        long alive = lab.recorded().stream().filter(Lab.Proc::alive).count();
        System.err.println("kubeha down: stopping " + alive + " processes of " + lab.dir + " ...");
        lab.stopAll(Duration.ofSeconds(15));
        if (lab.net.netns()) {
            lab.removeLan();
            System.err.println("kubeha down: removed the namespaces " + Lab.LAN + " and khup-HOST, and the pods' ones");
        }
        if (purge && Files.exists(lab.dir)) {
            try (var files = Files.walk(lab.dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
            System.err.println("kubeha down: removed " + lab.dir);
        }
        System.err.println("kubeha down: stopped");
        return 0;
    }
}
