package io.kubeha.store;

/** What a watch delivers: changes in revision order, and progress marks. */
public sealed interface WatchEvent {
    /** The revision this event happened at (for {@link Progress}: every change up to it was delivered). */
    long revision();

    /** A key was created or updated; {@code prev} is null for a creation or when history was compacted. */
    record Put(KeyValue kv, KeyValue prev) implements WatchEvent {
        public long revision() {
            return kv.modRevision();
        }
    }

    /** A key was deleted at {@code revision}; {@code prev} is its last value, or null when compacted away. */
    record Delete(String key, long revision, KeyValue prev) implements WatchEvent {}

    /** Every change up to {@code revision} under the watched prefix has been delivered. */
    record Progress(long revision) implements WatchEvent {}
}
