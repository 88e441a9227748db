/**
 * The namespace controller: empties a namespace being deleted (every namespaced resource the API server serves),
 * then removes the "kubernetes" finalizer through the finalize subresource so the API server deletes it.
 */
package io.kubeha.controllers.namespace;
