package io.kubeha.apiserver.openapi;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.node.ObjectNode;

/**
 * The autoscaling/v1 Scale family, the body of every {@code /scale} subresource. Written out by hand because
 * kubeha's classpath has no fabric8 autoscaling model (and the three types are small and stable).
 */
final class Scale {
    static final String SCALE = "io.k8s.api.autoscaling.v1.Scale";
    static final String SPEC = "io.k8s.api.autoscaling.v1.ScaleSpec";
    static final String STATUS = "io.k8s.api.autoscaling.v1.ScaleStatus";

    private Scale() {}

    /** Defines the three (once) and returns the name of Scale. */
    static String define(Definitions defs) {
        if (defs.has(SCALE)) return SCALE;
        String meta = defs.define(ObjectMeta.class);

        ObjectNode spec = Definitions.object("The desired state of a scalable resource.");
        spec.putObject("properties").set("replicas", Definitions.scalar("integer", "int32", "The desired number of instances."));
        defs.put(SPEC, spec);

        ObjectNode status = Definitions.object("The observed state of a scalable resource.");
        ObjectNode sp = status.putObject("properties");
        sp.set("replicas", Definitions.scalar("integer", "int32", "The actual number of observed instances."));
        sp.set("selector", Definitions.scalar("string", null, "The label selector of the pods, in its string form."));
        status.putArray("required").add("replicas");
        defs.put(STATUS, status);

        ObjectNode scale = Definitions.object("Scale represents a scaling request for a resource.");
        ObjectNode p = scale.putObject("properties");
        p.set("apiVersion", Json.object().put("type", "string"));
        p.set("kind", Json.object().put("type", "string"));
        p.set("metadata", Definitions.ref(meta));
        p.set("spec", Definitions.ref(SPEC));
        p.set("status", Definitions.ref(STATUS));
        defs.put(SCALE, scale);
        defs.kind(SCALE, "autoscaling", "v1", "Scale");
        return SCALE;
    }
}
