/** The controller-manager: Kubernetes' control loops as API clients, leader-elected. */
package io.kubeha.controllers;
