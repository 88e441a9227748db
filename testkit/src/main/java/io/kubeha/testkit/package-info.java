/**
 * What tests and benchmarks need to run real components: child JVMs and processes killed for real by PID,
 * free ports, temp directories and a real etcd cluster. Nothing here is a mock: each helper starts or
 * stops something this machine runs, and cleans up after itself, also when a test fails.
 */
package io.kubeha.testkit;
