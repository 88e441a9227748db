package io.kubeha.client;

import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every informer of kubeha needs beyond fabric8's defaults. */
public final class Informers {
    private static final Logger LOG = LoggerFactory.getLogger(Informers.class);

    private Informers() {
    }

    /**
     * Keeps the informer listing and watching after any failure, as client-go's reflector does. fabric8's default
     * gives up for good when the first list fails (a timeout on a loaded API server was enough), which left a
     * component running with a cache that never syncs: a scheduler leader that never bound a pod.
     */
    public static <T> SharedIndexInformer<T> keepTrying(SharedIndexInformer<T> informer) {
        return informer.exceptionHandler((started, t) -> {
            LOG.warn("{} failed ({}); listing and watching again after a back-off", started ? "watch" : "initial list", t.toString());
            return true;
        });
    }
}
