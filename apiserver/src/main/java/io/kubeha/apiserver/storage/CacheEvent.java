package io.kubeha.apiserver.storage;

import tools.jackson.databind.node.ObjectNode;

/**
 * One change to one object, as the watch cache keeps it.
 *
 * @param type     ADDED, MODIFIED or DELETED
 * @param object   the object after the change (for DELETED: its last state, with the deletion's resourceVersion)
 * @param previous the object before the change, or null for ADDED
 * @param revision the store revision of the change
 */
public record CacheEvent(WatchEventType type, ObjectNode object, ObjectNode previous, long revision) {}
