/**
 * What tests and benchmarks need to run real components: child JVMs and processes killed for real by PID,
 * free ports, temp directories and a real etcd cluster ({@link io.kubeha.testkit.EtcdCluster}). Nothing here
 * is a mock: each helper starts or stops something this machine runs, and cleans up after itself (by PID),
 * also when a test fails. A component that is missing makes the test fail, saying what to install; it never
 * skips.
 */
package io.kubeha.testkit;
