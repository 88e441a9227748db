package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;

import java.util.List;

/** Owner references as apimachinery's metav1.GetControllerOf reads them. */
public final class OwnerRefs {
    private OwnerRefs() {
    }

    /** The owner reference marked controller=true, or null. */
    public static OwnerReference controllerOf(List<OwnerReference> refs) {
        if (refs == null) {
            return null;
        }
        return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).findFirst().orElse(null);
    }

    /** The object's controller reference, or null. */
    public static OwnerReference controllerOf(HasMetadata o) {
        return controllerOf(o.getMetadata().getOwnerReferences());
    }
}
