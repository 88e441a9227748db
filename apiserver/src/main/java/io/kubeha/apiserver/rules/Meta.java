package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Object metadata checks common to all kinds (apimachinery's ValidateObjectMeta and ValidateObjectMetaUpdate, plus
 * core's finalizer-name rule). Fields the API server owns (uid, creationTimestamp, resourceVersion, generation) are
 * left to it.
 */
final class Meta {
    private Meta() {}

    static final int TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
    private static final Set<String> STANDARD_FINALIZERS = Set.of("kubernetes", "orphan", "foregroundDeletion");
    private static final Path META = Path.of("metadata");

    static List<FieldError> validate(ObjectMeta m, boolean namespaced, NameRule nameRule) {
        List<FieldError> errs = new ArrayList<>();
        if (m == null) {
            errs.add(Errs.required(META.child("name"), "name or generateName is required"));
            return errs;
        }
        String name = m.getName();
        if (name == null || name.isEmpty()) {
            // generateName is resolved by the API server before validation; a name still missing is the user's
            errs.add(Errs.required(META.child("name"), "name or generateName is required"));
        } else {
            for (String msg : nameRule.check(name)) errs.add(Errs.invalid(META.child("name"), name, msg));
        }
        errs.addAll(common(m, namespaced));
        return errs;
    }

    static List<FieldError> validateUpdate(ObjectMeta m, ObjectMeta old, boolean namespaced) {
        List<FieldError> errs = new ArrayList<>();
        if (m == null) m = new ObjectMeta();
        if (old == null) old = new ObjectMeta();
        if (notEmpty(old.getDeletionTimestamp())) {
            Set<String> extra = new TreeSet<>(list(m.getFinalizers()));
            extra.removeAll(list(old.getFinalizers()));
            if (!extra.isEmpty()) {
                errs.add(Errs.forbidden(META.child("finalizers"), "no new finalizers can be added if the object is being "
                        + "deleted, found new finalizers " + Go.strings(List.copyOf(extra))));
            }
        }
        immutable(errs, "name", m.getName(), old.getName());
        immutable(errs, "namespace", m.getNamespace(), old.getNamespace());
        // the server fills a missing uid from the stored object; a different one is the client's mistake
        if (notEmpty(m.getUid())) immutable(errs, "uid", m.getUid(), old.getUid());
        if (notEmpty(m.getDeletionTimestamp()) || notEmpty(old.getDeletionTimestamp())) {
            immutable(errs, "deletionTimestamp", m.getDeletionTimestamp(), old.getDeletionTimestamp());
        }
        if (!Objects.equals(m.getDeletionGracePeriodSeconds(), old.getDeletionGracePeriodSeconds())) {
            errs.add(Errs.immutable(META.child("deletionGracePeriodSeconds"),
                    m.getDeletionGracePeriodSeconds() == null ? "null" : m.getDeletionGracePeriodSeconds().toString()));
        }
        errs.addAll(common(m, namespaced));
        return errs;
    }

    private static void immutable(List<FieldError> errs, String field, String now, String before) {
        if (!Objects.equals(emptyToNull(now), emptyToNull(before))) {
            errs.add(Errs.immutable(META.child(field), Go.quote(now == null ? "" : now)));
        }
    }

    private static List<FieldError> common(ObjectMeta m, boolean namespaced) {
        List<FieldError> errs = new ArrayList<>();
        String ns = m.getNamespace();
        if (namespaced) {
            if (ns == null || ns.isEmpty()) errs.add(Errs.required(META.child("namespace")));
            else for (String msg : Names.dns1123Label(ns)) errs.add(Errs.invalid(META.child("namespace"), ns, msg));
        } else if (ns != null && !ns.isEmpty()) {
            errs.add(Errs.forbidden(META.child("namespace"), "not allowed on this type"));
        }
        errs.addAll(labels(m.getLabels(), META.child("labels")));
        errs.addAll(annotations(m.getAnnotations(), META.child("annotations")));
        errs.addAll(ownerReferences(m.getOwnerReferences(), META.child("ownerReferences")));
        errs.addAll(finalizers(m.getFinalizers(), META.child("finalizers")));
        return errs;
    }

    /** Label keys and values; kube reports both at the map's path, without the key. */
    static List<FieldError> labels(Map<String, String> labels, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (labels == null) return errs;
        for (var e : labels.entrySet()) {
            errs.addAll(labelName(e.getKey(), p));
            String v = e.getValue() == null ? "" : e.getValue();
            for (String msg : Names.labelValue(v)) errs.add(Errs.invalid(p, v, msg));
        }
        return errs;
    }

    static List<FieldError> labelName(String key, Path p) {
        List<FieldError> errs = new ArrayList<>();
        for (String msg : Names.qualifiedName(key == null ? "" : key)) errs.add(Errs.invalid(p, key, msg));
        return errs;
    }

    static List<FieldError> annotations(Map<String, String> annotations, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (annotations == null) return errs;
        long total = 0;
        for (var e : annotations.entrySet()) {
            // annotation keys are qualified names, case-insensitively
            for (String msg : Names.qualifiedName(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                errs.add(Errs.invalid(p, e.getKey(), msg));
            }
            total += Names.utf8Len(e.getKey()) + (e.getValue() == null ? 0 : Names.utf8Len(e.getValue()));
        }
        if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.add(Errs.tooLong(p, TOTAL_ANNOTATION_SIZE_LIMIT));
        return errs;
    }

    static List<FieldError> ownerReferences(List<OwnerReference> refs, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (refs == null) return errs;
        String firstController = null;
        for (OwnerReference r : refs) {
            String apiVersion = nz(r.getApiVersion());
            String version = apiVersion.contains("/") ? apiVersion.substring(apiVersion.indexOf('/') + 1) : apiVersion;
            String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
            if (version.isEmpty()) errs.add(Errs.invalid(p.child("apiVersion"), apiVersion, "version must not be empty"));
            if (nz(r.getKind()).isEmpty()) errs.add(Errs.invalid(p.child("kind"), nz(r.getKind()), "must not be empty"));
            if (nz(r.getName()).isEmpty()) errs.add(Errs.invalid(p.child("name"), nz(r.getName()), "must not be empty"));
            if (nz(r.getUid()).isEmpty()) errs.add(Errs.invalid(p.child("uid"), nz(r.getUid()), "must not be empty"));
            if (group.isEmpty() && version.equals("v1") && "Event".equals(r.getKind())) {
                errs.add(Errs.invalidRaw(p, ownerRefGo(r), "/v1, Kind=Event is disallowed from being an owner"));
            }
            if (Boolean.TRUE.equals(r.getController())) {
                String cur = r.getKind() + "/" + r.getName();
                if (firstController != null) {
                    errs.add(Errs.invalidRaw(p, "[]v1.OwnerReference{...}", "Only one reference can have Controller set to "
                            + "true. Found \"true\" in references for " + firstController + " and " + cur));
                } else {
                    firstController = cur;
                }
            }
        }
        return errs;
    }

    private static String ownerRefGo(OwnerReference r) {
        return "v1.OwnerReference{APIVersion:" + Go.quote(r.getApiVersion()) + ", Kind:" + Go.quote(r.getKind())
                + ", Name:" + Go.quote(r.getName()) + ", UID:" + Go.quote(r.getUid()) + "}";
    }

    static List<FieldError> finalizers(List<String> finalizers, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (finalizers == null) return errs;
        boolean orphan = false, foreground = false;
        for (String f : finalizers) {
            for (String msg : Names.qualifiedName(nz(f))) errs.add(Errs.invalid(p, nz(f), msg));
            orphan |= "orphan".equals(f);
            foreground |= "foregroundDeletion".equals(f);
        }
        if (orphan && foreground) {
            errs.add(Errs.invalidRaw(p, Go.strings(finalizers), "finalizer orphan and foregroundDeletion cannot be both set"));
        }
        // core's extra rule: an unqualified name must be one of the few kube defines
        for (int i = 0; i < finalizers.size(); i++) {
            String f = nz(finalizers.get(i));
            if (!f.contains("/") && !STANDARD_FINALIZERS.contains(f)) {
                errs.add(Errs.invalid(p.index(i), f, "name is neither a standard finalizer name nor is it fully qualified"));
            }
        }
        return errs;
    }

    static <E> List<E> list(List<E> l) {
        return l == null ? List.of() : l;
    }

    static <K, V> Map<K, V> map(Map<K, V> m) {
        return m == null ? Map.of() : m;
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }

    static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
