/**
 * Who is asking and whether they may: kube's user.Info ({@link io.kubeha.security.auth.UserInfo}), authorizer
 * attributes, decisions, the union of authorizers kube-apiserver's {@code --authorization-mode} builds, and its
 * Forbidden message.
 */
package io.kubeha.security.auth;
