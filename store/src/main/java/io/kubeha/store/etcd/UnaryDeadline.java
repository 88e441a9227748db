package io.kubeha.store.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every unary etcd call a gRPC deadline. jetcd sets none and waits for a ready connection, so without
 * this a request sent while no member can answer would stay pending in gRPC long after the store gave up on
 * it. Streams (watches) are left alone: they are meant to stay open, and a deadline would end them.
 */
final class UnaryDeadline implements ClientInterceptor {
    private final long nanos;

    UnaryDeadline(Duration timeout) {
        this.nanos = timeout.toNanos();
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        if (method.getType() == MethodDescriptor.MethodType.UNARY && options.getDeadline() == null) {
            options = options.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS);
        }
        return next.newCall(method, options);
    }
}
