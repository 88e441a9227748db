/**
 * The {@code kubeha} command: the only module that wires the components together. Each subcommand parses
 * and checks its options (a bad value gets one line saying what to fix), builds the components it runs
 * and shows progress on stderr.
 */
package io.kubeha.cli;
