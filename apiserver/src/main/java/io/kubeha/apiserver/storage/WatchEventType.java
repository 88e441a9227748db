package io.kubeha.apiserver.storage;

/** The event types of a Kubernetes watch stream. */
public enum WatchEventType { ADDED, MODIFIED, DELETED, BOOKMARK, ERROR }
