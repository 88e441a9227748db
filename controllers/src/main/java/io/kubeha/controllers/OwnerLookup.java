package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The owners of one kind in an informer's cache, as an owned object's event handler looks them up (kube's
 * resolveControllerRef and getPodReplicaSets / getPodDaemonSets / getDeploymentsForReplicaSet): the one its
 * controller reference names, or for an orphan every owner whose selector matches it (that may adopt it).
 *
 * @param <O> the owner kind
 */
public final class OwnerLookup<O extends HasMetadata> {
    private final SharedIndexInformer<O> owners;
    private final String kind;
    private final Function<O, LabelSelector> selector;

    public OwnerLookup(SharedIndexInformer<O> owners, Class<O> kind, Function<O, LabelSelector> selector) {
        this.owners = owners;
        this.kind = HasMetadata.getKind(kind);
        this.selector = selector;
    }

    /** The owner a controller reference points to, if it is of this kind and in the cache with that uid; else null. */
    public O resolve(String namespace, OwnerReference ref) {
        if (ref == null || !kind.equals(ref.getKind())) {
            return null;
        }
        O owner = owners.getStore().getByKey(namespace + "/" + ref.getName());
        return owner != null && Objects.equals(owner.getMetadata().getUid(), ref.getUid()) ? owner : null;
    }

    /** The owner that controls {@code owned}, if it is in the cache; else null. */
    public O controllerOf(HasMetadata owned) {
        return resolve(owned.getMetadata().getNamespace(), OwnerRefs.controllerOf(owned));
    }

    /** Every owner in the object's namespace whose selector matches its labels. */
    public List<O> selecting(HasMetadata o) {
        List<O> out = new ArrayList<>();
        for (O owner : owners.getIndexer().byIndex(Cache.NAMESPACE_INDEX, o.getMetadata().getNamespace())) {
            if (LabelSelectors.matches(selector.apply(owner), o.getMetadata().getLabels())) {
                out.add(owner);
            }
        }
        return out;
    }
}
