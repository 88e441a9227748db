/** The service account controller: a "default" ServiceAccount in every namespace that is not being deleted. */
package io.kubeha.controllers.serviceaccount;
