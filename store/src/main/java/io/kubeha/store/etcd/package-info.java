/**
 * The store kept in an external etcd v3 cluster ({@code etcd:URL,...}), through jetcd. The only public type
 * is {@link io.kubeha.store.etcd.EtcdStore}, whose {@code open} returns a {@link io.kubeha.store.Store}; the
 * rest (error sorting, key conversion, call deadlines, the resuming watch) is package-private.
 *
 * <p>This package owns the translation between the store's contract and etcd's API: bounded waits, etcd's
 * failures as {@link io.kubeha.store.StoreException}s, and watches that deliver every change exactly once
 * across member loss. It keeps no state of its own beyond the open jetcd client and watches.
 */
package io.kubeha.store.etcd;
