package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * kube's ControllerRefManager (ClaimPods, ClaimReplicaSets, ClaimControllerRevisions): which of the candidate
 * objects a controller owns. An object already controlled by the owner is kept while the selector matches it and
 * released when it stops matching; an orphan that matches is adopted; an object controlled by anyone else is never
 * touched. Nothing is adopted or released while the owner is being deleted (the garbage collector or an orphaning
 * delete decides those objects' fate); before the first adoption of a claim the owner is read again past the
 * cache, so a controller whose cache has not yet seen the deletion (or a replacement of the same name) adopts
 * nothing. Adoption and release are JSON patches with a precondition: the object's uid for an adoption (a
 * recreated object of the same name is not adopted), the owner's uid at the reference's index for a release.
 *
 * <p>One instance serves one claim of one sync: the owner's live recheck is done at most once, as kube's
 * sync.Once, and not reused across syncs.
 *
 * @param <T> the owned kind (Pod, ReplicaSet, ControllerRevision)
 */
public final class ControllerRefManager<T extends HasMetadata> {
    private final ControllerContext ctx;
    private final HasMetadata owner;
    private final LabelSelector selector;
    private final Class<T> ownedKind;
    /** null until the first orphan that matches asks for it. */
    private Boolean canAdopt;

    /**
     * @param owner    the controller as the cache has it
     * @param selector its selector (what the owned objects' labels must match)
     * @param ownedKind the class of the owned objects, to address them for the patches
     */
    public ControllerRefManager(ControllerContext ctx, HasMetadata owner, LabelSelector selector, Class<T> ownedKind) {
        this.ctx = Objects.requireNonNull(ctx);
        this.owner = Objects.requireNonNull(owner);
        this.selector = selector;
        this.ownedKind = Objects.requireNonNull(ownedKind);
    }

    /**
     * The controller reference an owner puts on the objects it creates or adopts: controller=true and
     * blockOwnerDeletion=true, its apiVersion and kind from the owner's class (never null, whatever the object held).
     */
    public static OwnerReference controllerRef(HasMetadata owner) {
        return new OwnerReferenceBuilder()
                .withApiVersion(HasMetadata.getApiVersion(owner.getClass()))
                .withKind(HasMetadata.getKind(owner.getClass()))
                .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true)
                .build();
    }

    /**
     * The candidates the owner controls after adopting and releasing, in the candidates' order (an adopted object
     * as the patch returned it). Like kube's ClaimObjects, a failed adoption or release does not stop the claim of
     * the rest: the first failure is thrown at the end (the others suppressed in it), so the sync is retried. An
     * object that is gone (404) is simply not claimed; a release that finds the reference already gone (422, the
     * precondition failed) is not an error either.
     */
    public List<T> claim(Collection<T> candidates) {
        List<T> owned = new ArrayList<>();
        RuntimeException error = null;
        for (T o : candidates) {
            try {
                T claimed = claimOne(o);
                if (claimed != null) {
                    owned.add(claimed);
                }
            } catch (ControllerContext.NotLeaderException e) {
                throw e;
            } catch (RuntimeException e) {
                if (error == null) {
                    error = e;
                } else {
                    error.addSuppressed(e);
                }
            }
        }
        if (error != null) {
            throw error;
        }
        return owned;
    }

    /** kube's ClaimObject: the object if the owner controls it after this, else null. */
    private T claimOne(T o) {
        OwnerReference ref = OwnerRefs.controllerOf(o);
        boolean matches = LabelSelectors.matches(selector, o.getMetadata().getLabels());
        boolean ownerDeleting = owner.getMetadata().getDeletionTimestamp() != null;
        if (ref != null) {
            if (!Objects.equals(ref.getUid(), owner.getMetadata().getUid())) {
                return null;
            }
            if (matches) {
                return o;
            }
            if (!ownerDeleting) {
                release(o);
            }
            return null;
        }
        if (ownerDeleting || !matches || o.getMetadata().getDeletionTimestamp() != null
                || !Objects.equals(owner.getMetadata().getNamespace(), o.getMetadata().getNamespace())) {
            return null;
        }
        if (canAdopt == null) {
            canAdopt = ownerStillLive();
        }
        return canAdopt ? adopt(o) : null;
    }

    /** The uncached read: the owner still exists with the same uid and is not being deleted. */
    private boolean ownerStillLive() {
        HasMetadata fresh = ctx.client().resources(owner.getClass())
                .inNamespace(owner.getMetadata().getNamespace()).withName(owner.getMetadata().getName()).get();
        return fresh != null && Objects.equals(fresh.getMetadata().getUid(), owner.getMetadata().getUid())
                && fresh.getMetadata().getDeletionTimestamp() == null;
    }

    private Resource<T> target(T o) {
        return ctx.client().resources(ownedKind).inNamespace(o.getMetadata().getNamespace()).withName(o.getMetadata().getName());
    }

    /**
     * Appends the controller reference, on the condition that the object is still the one seen: its uid, and its
     * resourceVersion, so that a reference another writer added meanwhile is neither overwritten (an empty list is
     * replaced whole) nor joined by a second controller; such a race fails the patch and the next sync sees it.
     */
    private T adopt(T o) {
        ctx.checkActing();
        String refJson = ctx.client().getKubernetesSerialization().asJson(controllerRef(owner));
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        String add = refs == null || refs.isEmpty()
                ? "{\"op\":\"add\",\"path\":\"/metadata/ownerReferences\",\"value\":[" + refJson + "]}"
                : "{\"op\":\"add\",\"path\":\"/metadata/ownerReferences/-\",\"value\":" + refJson + "}";
        String patch = "[{\"op\":\"test\",\"path\":\"/metadata/uid\",\"value\":\"" + o.getMetadata().getUid() + "\"},"
                + (o.getMetadata().getResourceVersion() == null ? ""
                : "{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"" + o.getMetadata().getResourceVersion() + "\"},")
                + add + "]";
        try {
            return target(o).patch(PatchContext.of(PatchType.JSON), patch);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return null;
            }
            throw e;
        }
    }

    /** Removes the owner's reference, on the condition that the reference at that index is still the owner's. */
    private void release(T o) {
        ctx.checkActing();
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        String uid = owner.getMetadata().getUid();
        int i = 0;
        while (i < refs.size() && !Objects.equals(refs.get(i).getUid(), uid)) {
            i++;
        }
        String patch = "[{\"op\":\"test\",\"path\":\"/metadata/ownerReferences/" + i + "/uid\",\"value\":\"" + uid
                + "\"},{\"op\":\"remove\",\"path\":\"/metadata/ownerReferences/" + i + "\"}]";
        try {
            target(o).patch(PatchContext.of(PatchType.JSON), patch);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 422) {
                throw e;
            }
        }
    }
}
