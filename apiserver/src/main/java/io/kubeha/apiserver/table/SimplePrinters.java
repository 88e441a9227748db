package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import static io.kubeha.apiserver.table.Fields.num;
import static io.kubeha.apiserver.table.Fields.size;
import static io.kubeha.apiserver.table.Fields.str;

/**
 * The printers that are a line each: namespaces, config maps, secrets, service accounts, leases, pod
 * disruption budgets; and kube-apiserver's default for every resource without a printer of its own.
 */
final class SimplePrinters {
    private SimplePrinters() {}

    static final Printer NAMESPACES = Printer.of(List.of(
            Column.NAME,
            Column.string("Status", Descriptions.NAMESPACE_STATUS),
            Column.AGE),
            (ns, now) -> List.of(Fields.name(ns), str(ns, "status", "phase"), Fields.age(ns, now)));

    /** DATA counts data and binaryData keys. */
    static final Printer CONFIG_MAPS = Printer.of(List.of(
            Column.NAME,
            Column.string("Data", Descriptions.CONFIGMAP_DATA),
            Column.AGE),
            (cm, now) -> List.of(Fields.name(cm), (long) (size(cm, "data") + size(cm, "binaryData")),
                    Fields.age(cm, now)));

    static final Printer SECRETS = Printer.of(List.of(
            Column.NAME,
            Column.string("Type", Descriptions.SECRET_TYPE),
            Column.string("Data", Descriptions.SECRET_DATA),
            Column.AGE),
            (s, now) -> List.of(Fields.name(s), str(s, "type"), (long) size(s, "data"), Fields.age(s, now)));

    static final Printer SERVICE_ACCOUNTS = Printer.of(List.of(
            Column.NAME,
            Column.string("Secrets", Descriptions.SERVICE_ACCOUNT_SECRETS),
            Column.AGE),
            (sa, now) -> List.of(Fields.name(sa), (long) size(sa, "secrets"), Fields.age(sa, now)));

    /** HOLDER is empty, not "&lt;none&gt;", for a lease nobody holds. */
    static final Printer LEASES = Printer.of(List.of(
            Column.NAME,
            Column.string("Holder", Descriptions.LEASE_HOLDER),
            Column.AGE),
            (l, now) -> List.of(Fields.name(l), str(l, "spec", "holderIdentity"), Fields.age(l, now)));

    static final Printer POD_DISRUPTION_BUDGETS = Printer.of(List.of(
            Column.NAME,
            Column.string("Min Available", Descriptions.PDB_MIN_AVAILABLE),
            Column.string("Max Unavailable", Descriptions.PDB_MAX_UNAVAILABLE),
            Column.integer("Allowed Disruptions", Descriptions.PDB_ALLOWED),
            Column.AGE),
            (pdb, now) -> List.of(
                    Fields.name(pdb),
                    intOrString(pdb.path("spec").path("minAvailable")),
                    intOrString(pdb.path("spec").path("maxUnavailable")),
                    num(pdb, "status", "disruptionsAllowed"),
                    Fields.age(pdb, now)));

    private static final DateTimeFormatter RFC3339 =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    /**
     * kube-apiserver's default table (rest.defaultTableConvertor), for resources without a printer:
     * NAME and CREATED AT, a "date" column holding the creation time in RFC 3339 (kubectl prints it as is).
     * Go formats a missing timestamp as its zero time.
     */
    static final Printer DEFAULT = Printer.of(List.of(
            Column.NAME,
            new Column("Created At", "date", "", Descriptions.CREATION_TIMESTAMP, 0)),
            (o, now) -> List.of(Fields.name(o), createdAt(o)));

    private static String createdAt(JsonNode o) {
        Instant t = Fields.time(o, "metadata", "creationTimestamp");
        return t == null ? "0001-01-01T00:00:00Z" : RFC3339.format(t);
    }

    /** IntOrString.String(): "2", "50%"; "N/A" when unset. */
    private static String intOrString(JsonNode v) {
        if (v.isNumber()) {
            return Long.toString(v.asLong());
        }
        return v.isString() ? v.asString() : "N/A";
    }
}
