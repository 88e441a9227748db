/**
 * The cluster store: every piece of cluster state lives behind {@link io.kubeha.store.Store}, which has etcd
 * v3's data model (one global revision, per-key create/mod revision and version, compare-and-swap
 * transactions, ordered watches from a revision, compaction). The API server is its only user.
 *
 * <p>Guarantees every implementation keeps, checked by one contract test suite run against each: an
 * acknowledged write is durable and visible to every later read; a watch delivers every change after its
 * start revision exactly once and in revision order; history older than the compaction revision fails
 * with {@link io.kubeha.store.StoreException.Compacted}, never with a silent gap.
 */
package io.kubeha.store;
