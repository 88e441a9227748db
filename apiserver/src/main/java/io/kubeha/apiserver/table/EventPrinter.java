package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

import static io.kubeha.apiserver.table.Fields.num;
import static io.kubeha.apiserver.table.Fields.str;
import static io.kubeha.apiserver.table.Fields.time;

/**
 * Events, for core/v1 Event and events.k8s.io Event alike: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE; wide
 * SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME.
 *
 * <p>kube-apiserver serves both groups from one storage of internal events, so it prints both through the
 * one core printer; events.k8s.io field names (regarding, note, deprecatedSource, deprecatedFirstTimestamp,
 * deprecatedLastTimestamp, deprecatedCount, reportingController) are read as their core counterparts.
 * Which names an object uses follows its apiVersion, or the resource when it has none.
 */
final class EventPrinter implements Printer {
    static final EventPrinter CORE = new EventPrinter(false);
    static final EventPrinter EVENTS_API = new EventPrinter(true);

    private static final List<Column> COLUMNS = List.of(
            Column.string("Last Seen", Descriptions.EVENT_LAST_TIMESTAMP),
            Column.string("Type", Descriptions.EVENT_TYPE),
            Column.string("Reason", Descriptions.EVENT_REASON),
            Column.string("Object", Descriptions.EVENT_INVOLVED_OBJECT),
            Column.wide("Subobject", Descriptions.OBJECT_REFERENCE_FIELD_PATH),
            Column.wide("Source", Descriptions.EVENT_SOURCE),
            Column.string("Message", Descriptions.EVENT_MESSAGE),
            Column.wide("First Seen", Descriptions.EVENT_FIRST_TIMESTAMP),
            Column.wide("Count", Descriptions.EVENT_COUNT),
            new Column("Name", "string", "name", Descriptions.OBJECT_NAME, 1));

    private final boolean eventsApiByDefault;

    private EventPrinter(boolean eventsApiByDefault) {
        this.eventsApiByDefault = eventsApiByDefault;
    }

    @Override
    public List<Column> columns() {
        return COLUMNS;
    }

    @Override
    public List<Object> cells(JsonNode event, Instant now) {
        String apiVersion = str(event, "apiVersion");
        boolean eventsApi = apiVersion.isEmpty() ? eventsApiByDefault : apiVersion.startsWith("events.k8s.io/");
        JsonNode involved = event.path(eventsApi ? "regarding" : "involvedObject");
        JsonNode source = event.path(eventsApi ? "deprecatedSource" : "source");
        Instant firstTimestamp = time(event, eventsApi ? "deprecatedFirstTimestamp" : "firstTimestamp");
        Instant lastTimestamp = time(event, eventsApi ? "deprecatedLastTimestamp" : "lastTimestamp");
        long count = num(event, eventsApi ? "deprecatedCount" : "count");
        String message = str(event, eventsApi ? "note" : "message");
        String reportingController = str(event, eventsApi ? "reportingController" : "reportingComponent");
        String reportingInstance = str(event, "reportingInstance");

        // New-style events carry eventTime (and a series) instead of the first/last timestamps.
        String firstSeen = firstTimestamp != null ? Fields.since(firstTimestamp, now)
                : Fields.since(time(event, "eventTime"), now);
        String lastSeen = lastTimestamp != null ? Fields.since(lastTimestamp, now) : firstSeen;
        if (Fields.present(event, "series")) {
            lastSeen = Fields.since(time(event, "series", "lastObservedTime"), now);
            count = num(event, "series", "count");
        } else if (count == 0) {
            count = 1; // singleton events have no count in the new API
        }

        String kind = str(involved, "kind").toLowerCase(Locale.ROOT);
        String name = str(involved, "name");
        String target = name.isEmpty() ? kind : kind + "/" + name;

        return List.of(
                lastSeen,
                str(event, "type"),
                str(event, "reason"),
                target,
                str(involved, "fieldPath"),
                formatSource(str(source, "component"), str(source, "host"), reportingController, reportingInstance),
                message.strip(),
                firstSeen,
                count,
                Fields.name(event));
    }

    /** "component, host", where the reporting controller and instance stand in for what the source lacks. */
    private static String formatSource(String component, String host, String controller, String instance) {
        String c = component.isEmpty() ? controller : component;
        String i = host.isEmpty() ? instance : host;
        return i.isEmpty() ? c : c + ", " + i;
    }
}
