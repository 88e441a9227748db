package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;

/** Records core/v1 Events about objects, as client-go's EventRecorder (best effort: a failed event is only logged). */
public final class EventRecorder {
    private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);

    private final ControllerContext ctx;
    private final String component;

    public EventRecorder(ControllerContext ctx, String component) {
        this.ctx = ctx;
        this.component = component;
    }

    public void normal(HasMetadata about, String reason, String message) {
        record(about, "Normal", reason, message);
    }

    public void warning(HasMetadata about, String reason, String message) {
        record(about, "Warning", reason, message);
    }

    private void record(HasMetadata about, String type, String reason, String message) {
        if (!ctx.isActing()) {
            return;
        }
        String now = Instant.now(ctx.clock()).truncatedTo(ChronoUnit.SECONDS).toString();
        String ns = about.getMetadata().getNamespace() == null ? "default" : about.getMetadata().getNamespace();
        Event e = new EventBuilder()
                .withNewMetadata()
                .withName(about.getMetadata().getName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE))
                .withNamespace(ns)
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(about.getApiVersion()).withKind(about.getKind())
                        .withNamespace(about.getMetadata().getNamespace()).withName(about.getMetadata().getName())
                        .withUid(about.getMetadata().getUid()).withResourceVersion(about.getMetadata().getResourceVersion())
                        .build())
                .withType(type).withReason(reason).withMessage(message)
                .withNewSource().withComponent(component).endSource()
                .withReportingComponent(component)
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                .build();
        Thread.ofVirtual().start(() -> {
            try {
                ctx.client().v1().events().inNamespace(ns).resource(e).create();
            } catch (RuntimeException ex) {
                log.debug("event {} {} not recorded: {}", reason, message, ex.toString());
            }
        });
    }
}
