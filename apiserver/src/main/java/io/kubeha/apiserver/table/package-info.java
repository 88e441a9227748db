/**
 * Server-side printing: the {@code meta.k8s.io/v1} Table that kube-apiserver returns when a client (kubectl
 * for every {@code get}) sends {@code Accept: application/json;as=Table;v=v1;g=meta.k8s.io}.
 *
 * <p>Public API: {@link io.kubeha.apiserver.table.Tables#table} for a list (metadata from the list's
 * resourceVersion, continue and remainingItemCount), {@link io.kubeha.apiserver.table.Tables#tableOf} for
 * one object (a GET by name, a watch event), {@link io.kubeha.apiserver.table.TableOptions} and
 * {@link io.kubeha.apiserver.table.IncludeObject} for the request's options. Objects go in as JSON trees
 * in the resource's served version; nothing is looked up, so printing never fails for a sparse object:
 * missing fields read as Go's zero values, as kube's typed printers would see them. The Table never
 * shares nodes with the objects given (rows hold copies), and building one has no side effects.
 *
 * <p>For the API server: a list answers with {@code Tables.table(resource, items, includeObject, listMeta,
 * now)}; a GET by name with {@code tableOf}; a watch with one {@code tableOf} per event, headers on the
 * first only ({@code TableOptions.withNoHeaders(true)} afterwards), Status objects of ERROR events left as
 * they are. An unknown includeObject is a 400 and a Table version other than meta.k8s.io/v1 or v1beta1 a
 * 406, both thrown as {@link io.kubeha.apiserver.api.ApiException} with kube-apiserver's message.
 *
 * <p>What it guarantees: the columns (names, types, formats, descriptions, priorities) and the cells are
 * those kube-apiserver 1.33's printers (pkg/printers/internalversion) produce for pods, nodes, namespaces,
 * services, endpoints, endpointslices.discovery.k8s.io, configmaps, secrets, serviceaccounts, events (core
 * and events.k8s.io), deployments, replicasets, daemonsets and controllerrevisions (apps),
 * leases.coordination.k8s.io and poddisruptionbudgets.policy; every other resource gets kube-apiserver's
 * default table, NAME and CREATED AT. Like kube-apiserver, it always prints the wide columns (priority 1)
 * and leaves it to kubectl to hide them without {@code -o wide}. Ages use Kubernetes' HumanDuration.
 *
 * <p>Where kubeha differs on purpose: node ROLES also come from the value of the
 * {@code kubeadm.alpha.kubernetes.io/role} label, which the seed's kubeadm 1.4 cluster puts on its masters
 * and nodes; and a few fields that kube's defaulting always fills (a service's clusterIPs and port
 * protocol, a pod's podIPs, apps replicas) are read from their older or default form when missing, which
 * prints the same as kube for any object kube itself would have stored.
 */
package io.kubeha.apiserver.table;
