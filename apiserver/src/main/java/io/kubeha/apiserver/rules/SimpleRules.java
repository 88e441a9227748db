package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.Json;

import java.util.ArrayList;
import java.util.List;

import static io.kubeha.apiserver.rules.Meta.nz;

/** The kinds with little more than metadata to check; one small class each. */
final class SimpleRules {
    private SimpleRules() {}

    /** Kinds without rules of their own: metadata checks only. */
    static final class MetadataOnly<T extends HasMetadata> extends KindRules<T> {
        MetadataOnly(boolean namespaced, NameRule nameRule) {
            super(namespaced, nameRule);
        }
    }

    /** ServiceAccounts: metadata only (kube checks nothing else on them). */
    static final class ServiceAccountRules extends KindRules<ServiceAccount> {
        ServiceAccountRules() {
            super(true, NameRule.DNS_SUBDOMAIN);
        }
    }

    /** Leases (coordination.k8s.io/v1): the duration and transition count make sense. */
    static final class LeaseRules extends KindRules<Lease> {
        LeaseRules() {
            super(true, NameRule.DNS_SUBDOMAIN);
        }

        @Override
        List<FieldError> validateKind(Lease l) {
            List<FieldError> errs = new ArrayList<>();
            LeaseSpec s = l.getSpec();
            if (s == null) return errs;
            if (s.getLeaseDurationSeconds() != null && s.getLeaseDurationSeconds() <= 0) {
                errs.add(Errs.invalid(Path.of("spec", "leaseDurationSeconds"), s.getLeaseDurationSeconds(), "must be greater than 0"));
            }
            if (s.getLeaseTransitions() != null && s.getLeaseTransitions() < 0) {
                errs.add(Errs.invalid(Path.of("spec", "leaseTransitions"), s.getLeaseTransitions(), "must be greater than or equal to 0"));
            }
            return errs;
        }
    }

    /** ControllerRevisions (apps/v1): data is required and, like the revision's identity, never changes. */
    static final class ControllerRevisionRules extends KindRules<ControllerRevision> {
        ControllerRevisionRules() {
            super(true, NameRule.DNS_SUBDOMAIN);
        }

        @Override
        List<FieldError> validateKind(ControllerRevision r) {
            List<FieldError> errs = new ArrayList<>();
            if (r.getData() == null) errs.add(Errs.required(Path.of("data"), "data is mandatory"));
            long rev = r.getRevision() == null ? 0 : r.getRevision();
            if (rev < 0) errs.add(Errs.invalid(Path.of("revision"), rev, "must be greater than or equal to 0"));
            return errs;
        }

        @Override
        List<FieldError> validateKindUpdate(ControllerRevision r, ControllerRevision old) {
            List<FieldError> errs = new ArrayList<>(validateKind(r));
            if (!Json.tree(r).path("data").equals(Json.tree(old).path("data"))) {
                errs.add(Errs.immutable(Path.of("data"), "runtime.RawExtension{...}"));
            }
            return errs;
        }
    }

    /**
     * core/v1 Events, lightly: the involved object's namespace agrees with the event's, and events in the newer
     * style (with eventTime) name their reporter, action and reason.
     */
    static final class EventRules extends KindRules<Event> {
        EventRules() {
            super(true, NameRule.DNS_SUBDOMAIN);
        }

        @Override
        List<FieldError> validateKind(Event e) {
            List<FieldError> errs = new ArrayList<>();
            String ns = e.getMetadata() == null ? "" : nz(e.getMetadata().getNamespace());
            String involvedNs = e.getInvolvedObject() == null ? "" : nz(e.getInvolvedObject().getNamespace());
            Path inv = Path.of("involvedObject", "namespace");
            boolean newStyle = e.getEventTime() != null && e.getEventTime().getTime() != null && !e.getEventTime().getTime().isEmpty();
            if (!newStyle) {
                if (involvedNs.isEmpty()) {
                    if (!ns.isEmpty() && !ns.equals("default")) errs.add(Errs.invalid(inv, involvedNs, "does not match event.namespace"));
                } else if (!ns.equals(involvedNs)) {
                    errs.add(Errs.invalid(inv, involvedNs, "does not match event.namespace"));
                }
            } else {
                if (involvedNs.isEmpty() && !ns.equals("default") && !ns.equals("kube-system")) {
                    errs.add(Errs.invalid(inv, involvedNs, "does not match event.namespace"));
                }
                String rc = nz(e.getReportingComponent());
                if (rc.isEmpty()) errs.add(Errs.required(Path.of("reportingComponent")));
                for (String msg : Names.qualifiedName(rc)) errs.add(Errs.invalid(Path.of("reportingComponent"), rc, msg));
                if (nz(e.getReportingInstance()).isEmpty()) errs.add(Errs.required(Path.of("reportingInstance")));
                if (nz(e.getReportingInstance()).length() > 128) errs.add(Errs.invalid(Path.of("reportingInstance"), "", "can have at most 128 characters"));
                if (nz(e.getAction()).isEmpty()) errs.add(Errs.required(Path.of("action")));
                if (nz(e.getAction()).length() > 128) errs.add(Errs.invalid(Path.of("action"), "", "can have at most 128 characters"));
                if (nz(e.getReason()).isEmpty()) errs.add(Errs.required(Path.of("reason")));
                if (nz(e.getReason()).length() > 128) errs.add(Errs.invalid(Path.of("reason"), "", "can have at most 128 characters"));
                if (nz(e.getMessage()).length() > 4096) errs.add(Errs.invalid(Path.of("message"), "", "can have at most 4096 characters"));
            }
            for (String msg : Names.dns1123Subdomain(ns)) errs.add(Errs.invalid(Path.of("namespace"), ns, msg));
            return errs;
        }
    }
}
