package io.kubeha.apiserver.alloc;

import io.kubeha.apiserver.api.Json;
import tools.jackson.core.JacksonException;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The value of an allocation key: whose it is and since when. JSON, so that an operator reading the store
 * with etcdctl sees who holds an address.
 *
 * @param allocatedAt ISO-8601 instant the key was written; repair uses it to tell a leak from an allocation
 *                    whose Service write is still in flight
 */
record OwnerRecord(String namespace, String name, String uid, String allocatedAt) {

    static OwnerRecord of(ServiceRef owner, Instant at) {
        return new OwnerRecord(owner.namespace(), owner.name(), owner.uid(), at.toString());
    }

    byte[] toBytes() {
        return Json.MAPPER.writeValueAsBytes(this);
    }

    /** The record, or null when the bytes are not one (written by something else, or damaged). */
    static OwnerRecord parse(byte[] bytes) {
        try {
            OwnerRecord r = Json.MAPPER.readValue(bytes, OwnerRecord.class);
            return r != null && r.namespace != null && !r.namespace.isEmpty() && r.name != null && !r.name.isEmpty()
                    ? r : null;
        } catch (JacksonException e) {
            return null;
        }
    }

    ServiceRef owner() {
        return new ServiceRef(namespace, name, uid);
    }

    /** When the key was written; {@link Instant#MIN} when unknown, so an unreadable date never protects a leak. */
    Instant allocatedAtOrMin() {
        try {
            return allocatedAt == null ? Instant.MIN : Instant.parse(allocatedAt);
        } catch (DateTimeParseException e) {
            return Instant.MIN;
        }
    }
}
