package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;

import java.util.ArrayList;
import java.util.List;

/**
 * The level-triggered shape every controller here shares: informers whose handlers only enqueue keys, one
 * {@link WorkQueue}, and a {@link ReconcileLoop} that calls {@link #reconcile} once the caches have synced.
 */
public abstract class InformerController implements Controller, Reconciler {
    protected final ControllerContext ctx;
    protected final WorkQueue queue;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private ReconcileLoop loop;
    private volatile boolean closed;

    protected InformerController(ControllerContext ctx) {
        this.ctx = ctx;
        this.queue = new WorkQueue(ctx.scheduler());
    }

    /** Registers the informers (through {@link #inform}); called by {@link #start}. */
    protected abstract void setUp();

    /** An informer (not yet started) over {@code source} with this handler; started and synced by {@link #start}. */
    protected final <T extends HasMetadata> SharedIndexInformer<T> inform(Informable<T> source, ResourceEventHandler<T> handler) {
        SharedIndexInformer<T> informer = io.kubeha.client.Informers.keepTrying(source.runnableInformer(0));
        informer.addEventHandler(handler);
        informers.add(informer);
        return informer;
    }

    @Override
    public void start() throws Exception {
        setUp();
        for (SharedIndexInformer<?> i : informers) {
            if (closed) {
                return;
            }
            // the start future also waits for the watch to be established; the cache is usable once listed
            i.start();
        }
        while (!closed && !hasSynced()) {
            Thread.sleep(10);
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            org.slf4j.LoggerFactory.getLogger(InformerController.class).info("{}: caches synced, starting {} workers", name(), ctx.workers());
            loop = new ReconcileLoop(name(), queue, this, ctx.workers(), ctx.acting()).start();
        }
    }

    public boolean hasSynced() {
        return informers.stream().allMatch(SharedIndexInformer::hasSynced);
    }

    @Override
    public void close() {
        ReconcileLoop l;
        synchronized (this) {
            closed = true;
            l = loop;
        }
        queue.shutDown();
        if (l != null) {
            l.close();
        }
        for (SharedIndexInformer<?> i : informers) {
            i.stop();
        }
    }

    public static String key(HasMetadata o) {
        return Cache.metaNamespaceKeyFunc(o);
    }

    /** A handler that maps every event to keys with {@code keys} and enqueues them. */
    protected final <T extends HasMetadata> ResourceEventHandler<T> enqueueing(java.util.function.Function<T, List<String>> keys) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                keys.apply(obj).forEach(queue::add);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                keys.apply(oldObj).forEach(queue::add);
                keys.apply(newObj).forEach(queue::add);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                keys.apply(obj).forEach(queue::add);
            }
        };
    }

    /**
     * A handler from three callbacks (the deleted-final-state-unknown flag dropped: a tombstone's last state is
     * handled as any deletion), so a controller's setUp reads as the events it handles rather than as boilerplate.
     */
    protected static <T extends HasMetadata> ResourceEventHandler<T> handler(java.util.function.Consumer<T> added,
            java.util.function.BiConsumer<T, T> updated, java.util.function.Consumer<T> deleted) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                added.accept(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                updated.accept(oldObj, newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                deleted.accept(obj);
            }
        };
    }
}
