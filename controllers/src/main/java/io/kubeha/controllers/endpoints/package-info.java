/**
 * The Endpoints and EndpointSlice controller (kube-controller-manager's endpoint and endpointslice controllers):
 * for every Service with a selector, an Endpoints object of the same name listing the IPs of the matching pods
 * (ready ones in addresses, the others in notReadyAddresses unless publishNotReadyAddresses; terminal pods, pods
 * without an IP and, unless publishNotReadyAddresses, terminating pods left out), with ports resolved from each
 * service port's targetPort (a number, or a container port name looked up in each pod); and EndpointSlices
 * (discovery.k8s.io/v1, IPv4) owned by the Service with ready/serving/terminating conditions, one per distinct
 * port mapping (an empty placeholder when there are no endpoints). Selectorless Services are left alone; a
 * deleted Service's Endpoints and slices are deleted. Nothing is written when what exists already says the same.
 *
 * <p>Differences from kube: no 100-endpoint split of slices, no topology/zone hints, no
 * last-change-trigger-time annotation, no 1000-address truncation of Endpoints.
 */
package io.kubeha.controllers.endpoints;
