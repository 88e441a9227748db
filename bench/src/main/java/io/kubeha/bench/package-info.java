/** The benchmarks behind {@code kubeha bench}: each prints progress while it runs and a Markdown table at the end. */
package io.kubeha.bench;
