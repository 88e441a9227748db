/**
 * The API server: the only component that touches the store. Every other component is its client.
 */
package io.kubeha.apiserver;
