package io.kubeha.controllers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/** Lets tests in other packages use {@link SlowWatchProxy}. */
public final class SlowWatchProxyAccess {
    private SlowWatchProxyAccess() {
    }

    public static AutoCloseable start(InetSocketAddress upstream, Duration delay) throws IOException {
        return new SlowWatchProxy(upstream, delay);
    }

    public static String url(AutoCloseable proxy) {
        return ((SlowWatchProxy) proxy).url();
    }
}
