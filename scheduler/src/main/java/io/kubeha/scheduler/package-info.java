/** The scheduler: a queue, filter and score plugins, binding through pods/binding; an API client, leader-elected. */
package io.kubeha.scheduler;
