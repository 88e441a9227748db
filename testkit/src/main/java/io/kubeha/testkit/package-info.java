/**
 * What tests (and benchmarks) need to run real components on this machine: free loopback ports
 * ({@link io.kubeha.testkit.Ports}) and real etcd clusters whose members are processes a test can kill and
 * restart ({@link io.kubeha.testkit.EtcdCluster}). The package owns every process and temporary directory it
 * starts and removes them on close (and at JVM exit); it has no dependencies beyond the JDK.
 */
package io.kubeha.testkit;
