/** Which resources the API serves and the facts about each that discovery and the handlers need. */
package io.kubeha.apiserver.registry;
