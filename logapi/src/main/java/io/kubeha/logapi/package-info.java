/**
 * logapi, the seed's demo service: a small HTTP service that greets ({@code GET /api/log/greeting}, the answer
 * names the client's address, the pod and the image's version) and serves the cluster's logs and events
 * ({@code GET /api/log/pods/NS/POD}, {@code GET /api/log/events}) read through the Kubernetes API server with the
 * pod's service account, the way any workload of a cluster would.
 *
 * <p>It is an application, not a part of kubeha: it depends on nothing of the project, only on Jackson, and
 * starts in a fraction of a second (the JDK's HTTP server on virtual threads). The build makes two images of it,
 * {@code target/images/logapi-1.0.jar} and {@code logapi-2.0.jar}, which differ only in the version their manifest
 * carries, so a rolling update from one to the other can be seen in the greeting.
 *
 * <p>{@link io.kubeha.logapi.Main} is the only public type.
 */
package io.kubeha.logapi;
