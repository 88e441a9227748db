package io.kubeha.vip;

import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A health check over HTTP(S): healthy when {@code GET url} answers 200 within the timeout. The client is the API
 * client's own, so an https URL is checked against the cluster CA (the API server's /readyz; the node agent's
 * /healthz on its CA-signed port).
 */
public final class HttpHealth implements Health {
    private final HttpClient http;
    private final String url;
    private final Duration timeout;
    private final String what;

    /** @param what what the URL stands for, in the problem's line ("the API server", "the node agent") */
    public HttpHealth(HttpClient http, String url, Duration timeout, String what) {
        this.http = http;
        this.url = url;
        this.timeout = timeout;
        this.what = what;
    }

    @Override
    public Optional<String> problem() {
        try {
            HttpResponse<String> r = http.sendAsync(http.newHttpRequestBuilder().uri(url).build(), String.class)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (r.code() == 200) return Optional.empty();
            return Optional.of(what + " is not ready (" + url + " answered " + r.code() + ")");
        } catch (TimeoutException e) {
            return Optional.of(what + " does not answer (" + url + ", " + timeout.toMillis() + " ms)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        } catch (ExecutionException | RuntimeException e) {
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            return Optional.of(what + " is unreachable (" + url + ": " + c.getMessage() + ")");
        }
    }
}
