package io.kubeha.store.etcd;

import io.kubeha.testkit.EtcdCluster;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.util.function.Supplier;

/** When a test fails, prints the tail of every etcd member's log: the test's own output rarely says why. */
final class PrintEtcdLogsOnFailure implements TestWatcher {
    private final Supplier<EtcdCluster> cluster;

    PrintEtcdLogsOnFailure(Supplier<EtcdCluster> cluster) {
        this.cluster = cluster;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        EtcdCluster c = cluster.get();
        if (c != null) {
            System.err.println("---- " + context.getDisplayName() + " failed; etcd logs of " + c + ":\n" + c.logTail(30));
        }
    }
}
