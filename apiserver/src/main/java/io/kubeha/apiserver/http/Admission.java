package io.kubeha.apiserver.http;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.kubeha.apiserver.alloc.Allocation;
import io.kubeha.apiserver.alloc.ServiceAllocator;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.rules.Rules;
import io.kubeha.apiserver.rules.TypeRules;
import io.kubeha.apiserver.storage.Obj;
import io.kubeha.apiserver.storage.ObjectStorage;
import io.kubeha.apiserver.storage.WatchCache;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What each resource type does on create, update and delete beyond storing the object, as kube-apiserver's
 * per-type strategies and admission: the object is decoded into its fabric8 type (a field of the wrong type is
 * a 400), defaulted and validated by {@link Rules} (422 with a cause per field), unknown fields are refused or
 * reported as fieldValidation asks, metadata.generation follows spec changes, namespaces must exist, Services get
 * their ClusterIP and NodePorts from the {@link ServiceAllocator}, pods get the default not-ready/unreachable
 * tolerations ({@link DefaultTolerationSeconds}), and a pod's deletion waits its grace period.
 */
class Admission {
    /** Kinds whose spec changes bump metadata.generation (the others leave it unset, as kube-apiserver does). */
    private static final Set<String> WITH_GENERATION = Set.of("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet");
    private static final Set<String> CREATE_ON_UPDATE = Set.of("Endpoints", "Lease", "EndpointSlice", "Event");

    private final ObjectStorage namespaces;
    private final WatchCache namespaceCache;
    private final ServiceAllocator services;
    private final DefaultTolerationSeconds defaultTolerations;

    Admission(ObjectStorage namespaces, WatchCache namespaceCache, ServiceAllocator services,
              DefaultTolerationSeconds defaultTolerations) {
        this.namespaces = namespaces;
        this.namespaceCache = namespaceCache;
        this.services = services;
        this.defaultTolerations = defaultTolerations;
    }

    /**
     * The namespace, from the watch cache when it has it (no store round trip on every create, as kube's
     * NamespaceLifecycle admission uses its informer), else from the store: a namespace created a moment ago
     * may not have reached the cache yet.
     */
    private java.util.Optional<ObjectNode> namespace(String name) {
        java.util.Optional<ObjectNode> cached = namespaceCache.peek(null, name);
        return cached.isPresent() ? cached : namespaces.find(null, name);
    }

    /** Allocations made while admitting a write: committed once the write is stored, reverted if it is not. */
    interface Pending {
        Pending NONE = new Pending() {
            @Override
            public void commit() {}

            @Override
            public void revert() {}
        };

        void commit();

        void revert();

        static Pending of(Allocation a) {
            return new Pending() {
                @Override
                public void commit() {
                    a.commit();
                }

                @Override
                public void revert() {
                    a.revert();
                }
            };
        }
    }

    /** How a request asked unknown or duplicate fields to be treated (query parameter fieldValidation). */
    enum FieldValidation {
        IGNORE, WARN, STRICT;

        static FieldValidation of(String value) {
            if (value == null || value.isEmpty()) return WARN;
            return switch (value) {
                case "Ignore" -> IGNORE;
                case "Warn" -> WARN;
                case "Strict" -> STRICT;
                default -> throw ApiException.badRequest("fieldValidation: Unsupported value: \"" + value
                        + "\": supported values: \"Ignore\", \"Warn\", \"Strict\"");
            };
        }
    }

    /** Decodes a JSON tree into the type's fabric8 class; a field of the wrong type is the client's mistake. */
    static HasMetadata typed(ResourceType type, ObjectNode obj) {
        try {
            return Json.convert(obj, type.model());
        } catch (JacksonException e) {
            throw ApiException.badRequest("the object is not a valid " + type.kind() + ": " + e.getOriginalMessage()
                    + (e.getPathReference() == null ? "" : " (at " + e.getPathReference() + ")"));
        }
    }

    /** Writes the typed object back over the tree (the tree keeps its identity for the caller). */
    private static void untyped(HasMetadata typed, ObjectNode into) {
        ObjectNode fresh = (ObjectNode) Json.tree(typed);
        into.removeAll();
        into.setAll(fresh);
    }

    @SuppressWarnings("unchecked")
    private static TypeRules<HasMetadata> rules(ResourceType type) {
        return (TypeRules<HasMetadata>) Rules.forKind(type.model(), type.namespaced());
    }

    /**
     * Admits a new object: namespace checks, defaults, the type's create preparation, allocation (Services),
     * validation. Returns what to commit once it is stored.
     */
    /** What the authenticated user may write, beyond RBAC's verbs (escalation, node restriction); none without security. */
    interface WriteChecks {
        void check(ResourceType type, ObjectNode next, ObjectNode old, Request req);
    }

    private volatile WriteChecks writeChecks = (type, next, old, req) -> { };

    void writeChecks(WriteChecks checks) {
        this.writeChecks = checks;
    }

    /** The ServiceAccount admission plugin; a secured server turns it on (a plain one has no tokens to mount). */
    private volatile ServiceAccountAdmission serviceAccounts;

    void serviceAccounts(ServiceAccountAdmission plugin) {
        this.serviceAccounts = plugin;
    }

    Pending admitCreate(ResourceType type, ObjectNode obj, String namespace, Request req, boolean dryRun) {
        writeChecks.check(type, obj, null, req);
        if (type.namespaced()) {
            ObjectNode ns = namespace(namespace).orElseThrow(() -> ApiException.notFound("", "namespaces", namespace));
            if (ResourceHandler.isDeleting(ns)) {
                throw ApiException.forbidden(type.group(), type.resource(), Obj.name(obj),
                        "unable to create new content in namespace " + namespace + " because it is being terminated");
            }
        }
        HasMetadata typed = typed(type, obj);
        unknownFields(type, typed, req);
        TypeRules<HasMetadata> rules = rules(type);
        rules.applyDefaults(typed);
        // mutating admission (DefaultTolerationSeconds) runs before validation, as in kube-apiserver
        if (typed instanceof Pod pod) {
            ServiceAccountAdmission sa = serviceAccounts;
            if (sa != null) sa.admitCreate(pod);
            defaultTolerations.apply(pod);
        }
        rules.prepareForCreate(typed);
        Pending pending = Pending.NONE;
        if (typed instanceof Service svc) pending = Pending.of(services.allocateCreate(svc, dryRun));
        List<FieldError> errors = rules.validateCreate(typed);
        if (!errors.isEmpty()) {
            pending.revert();
            throw ApiException.invalid(type.group(), type.kind(), Obj.name(obj), errors);
        }
        untyped(typed, obj);
        if (WITH_GENERATION.contains(type.kind())) Obj.metadata(obj).put("generation", 1);
        return pending;
    }

    /**
     * Admits an update of {@code next} over the stored {@code old} (both trees; {@code next} is changed in
     * place): defaults, the type's update preparation (status kept, fields carried over), allocation changes
     * (Services), validation, generation.
     */
    Pending admitUpdate(ResourceType type, ObjectNode next, ObjectNode old, Request req, boolean dryRun) {
        writeChecks.check(type, next, old, req);
        HasMetadata typed = typed(type, next);
        HasMetadata before = typed(type, old);
        unknownFields(type, typed, req);
        TypeRules<HasMetadata> rules = rules(type);
        rules.applyDefaults(typed);
        // on update too, as kube's plugin: a whole-pod PUT without them keeps them instead of failing validation
        if (typed instanceof Pod pod) defaultTolerations.apply(pod);
        rules.prepareForUpdate(typed, before);
        Pending pending = Pending.NONE;
        if (typed instanceof Service svc) pending = Pending.of(services.allocateUpdate((Service) before, svc, dryRun));
        List<FieldError> errors = rules.validateUpdate(typed, before);
        if (!errors.isEmpty()) {
            pending.revert();
            throw ApiException.invalid(type.group(), type.kind(), Obj.name(next), errors);
        }
        untyped(typed, next);
        if (WITH_GENERATION.contains(type.kind())) {
            long gen = old.path("metadata").path("generation").asLong(1);
            // compare both through the same typed encoding: stored JSON may differ from it in form, not in meaning
            if (!Objects.equals(next.get("spec"), Json.tree(before).get("spec"))) gen++;
            Obj.metadata(next).put("generation", gen);
        }
        return pending;
    }

    /**
     * An update through a subresource (status, approval) changes the status only; the rest was taken from the
     * stored object already. Then the kind's own preparation and checks for that subresource (none for most
     * kinds; a CertificateSigningRequest's status and approval strategies).
     */
    Pending admitSubresourceUpdate(ResourceType type, String subresource, ObjectNode next, ObjectNode old) {
        HasMetadata typed = typed(type, next);
        HasMetadata before = typed(type, old);
        TypeRules<HasMetadata> rules = rules(type);
        rules.prepareForSubresourceUpdate(subresource, typed, before);
        List<FieldError> errors = rules.validateSubresourceUpdate(subresource, typed, before);
        if (!errors.isEmpty()) throw ApiException.invalid(type.group(), type.kind(), Obj.name(next), errors);
        untyped(typed, next);
        return Pending.NONE;
    }

    /** After a Service is deleted: give its ClusterIP and NodePorts back. */
    void deleted(ResourceType type, ObjectNode obj) {
        if (type.kind().equals("Service")) services.release((Service) typed(type, obj));
    }

    /** fieldValidation: fields the type does not know are refused (Strict) or reported in a Warning header (Warn). */
    private static void unknownFields(ResourceType type, HasMetadata typed, Request req) {
        FieldValidation mode = FieldValidation.of(req == null ? null : req.query("fieldValidation"));
        if (mode == FieldValidation.IGNORE) return;
        List<String> unknown = new ArrayList<>();
        UnknownFields.collect(typed, "", unknown);
        if (unknown.isEmpty()) return;
        if (mode == FieldValidation.STRICT) {
            throw ApiException.badRequest("strict decoding error: " + String.join(", ",
                    unknown.stream().map(f -> "unknown field \"" + f + "\"").toList()));
        }
        for (String f : unknown) req.warn("unknown field \"" + f + "\"");
    }

    boolean allowCreateOnUpdate(ResourceType type) {
        return CREATE_ON_UPDATE.contains(type.kind());
    }

    String defaultPropagation(ResourceType type) {
        return "Background";
    }

    /** Seconds a deletion waits before the object goes; 0 deletes at once (finalizers permitting). */
    long gracePeriod(ResourceType type, ObjectNode obj, Long requested) {
        if (!type.kind().equals("Pod")) return 0;
        String node = obj.path("spec").path("nodeName").asString("");
        String phase = obj.path("status").path("phase").asString("");
        // a pod no agent runs, or one that has finished, has nothing to stop
        if (node.isEmpty() || phase.equals("Succeeded") || phase.equals("Failed")) return 0;
        if (requested != null) return Math.max(0, requested);
        return obj.path("spec").path("terminationGracePeriodSeconds").asLong(30);
    }

    void onDeleting(ResourceType type, ObjectNode obj) {
        if (type.kind().equals("Namespace")) ((ObjectNode) obj.withObject("status")).put("phase", "Terminating");
    }

    /** Whether the object waits for something before it is really deleted, beyond metadata.finalizers. */
    boolean holdsDeletion(ResourceType type, JsonNode obj) {
        return type.kind().equals("Namespace") && obj.path("spec").path("finalizers").size() > 0;
    }
}
