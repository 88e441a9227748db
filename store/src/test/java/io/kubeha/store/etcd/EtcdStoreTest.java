package io.kubeha.store.etcd;

import io.kubeha.store.Store;
import io.kubeha.store.StoreContractTest;
import io.kubeha.store.StoreException;
import io.kubeha.store.StoreOptions;
import io.kubeha.testkit.EtcdCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store contract against a real 3-member etcd cluster, plus what only the etcd store has to say. */
class EtcdStoreTest extends StoreContractTest {
    private static EtcdCluster cluster;

    @RegisterExtension
    static final PrintEtcdLogsOnFailure logs = new PrintEtcdLogsOnFailure(() -> cluster);

    @BeforeAll
    static void startCluster() {
        cluster = EtcdCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @Override
    protected Store openStore() {
        return EtcdStore.open(cluster.clientEndpoints(), StoreOptions.DEFAULTS);
    }

    @Test
    void aValueLargerThanEtcdAcceptsIsInvalid() {
        byte[] huge = new byte[2 * 1024 * 1024]; // etcd's --max-request-bytes defaults to 1.5 MiB
        assertThatThrownBy(() -> store.put(p + "huge", huge))
                .isInstanceOf(StoreException.Invalid.class)
                .hasMessageContaining("larger than etcd accepts");
        assertThat(store.get(p + "huge")).isEmpty();
    }

    @Test
    void describeNamesTheEndpoints() {
        assertThat(store.describe()).startsWith("etcd:").contains(cluster.clientEndpoint(0).toString());
    }
}
