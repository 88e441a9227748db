/**
 * What every part of the API server shares: errors as Kubernetes Status objects ({@link
 * io.kubeha.apiserver.api.ApiException}), field errors, and the JSON/YAML codec for the fabric8 model.
 */
package io.kubeha.apiserver.api;
