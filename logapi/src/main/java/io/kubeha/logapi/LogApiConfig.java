package io.kubeha.logapi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the service runs with, read from its environment as a pod gets it (the downward API's POD_IP and
 * POD_NAME, the service account) and from its few flags.
 *
 * @param bindHost      the address to listen on: {@code POD_IP}, else every address
 * @param port          {@code --port N}, else {@code PORT}, else {@link #DEFAULT_PORT}
 * @param podName       the name the greeting gives: {@code POD_NAME}, else {@code HOSTNAME}, else the host's name
 * @param version       the image's version, which the greeting reports
 * @param cluster       how to read the API server; empty when the environment names none (the cluster endpoints
 *                      then answer 503 saying so)
 * @param apiTimeout    how long one read from the API server may take
 * @param shutdownDelay after SIGTERM, how long to keep serving while /readyz already fails, so that proxies stop
 *                      sending before the listener closes ({@code LOGAPI_SHUTDOWN_DELAY_SECONDS}, default 0: a
 *                      pod's preStop hook can do the same)
 * @param drainTimeout  after the listener closed, how long requests in flight may take to finish
 *                      ({@code LOGAPI_DRAIN_SECONDS}, default 20: below the pod's default 30 s grace period)
 */
record LogApiConfig(String bindHost, int port, String podName, String version, Optional<ClusterAccess> cluster,
                    Duration apiTimeout, Duration shutdownDelay, Duration drainTimeout) {
    /**
     * The container port. The seed only shows the NodePort (31070); the service it describes answers like the
     * Spring Boot greeting guide, whose port is 8080, so that is the container port here too.
     */
    static final int DEFAULT_PORT = 8080;

    static final String USAGE = """
            usage: logapi [--port N]
              serves GET /api/log/greeting, /api/log/pods/{namespace}/{pod}?tailLines=N, /api/log/events?namespace=NS,
              /healthz and /readyz
            environment:
              POD_IP      the address to listen on (default: every address)
              PORT        the port (default 8080; --port wins)
              POD_NAME    the pod's name for the greeting (default: HOSTNAME, else the host's name)
              KUBECONFIG  the API server to read logs and events from; without it, the pod's in-cluster
                          configuration (KUBERNETES_SERVICE_HOST/PORT and the service account token in
                          /var/run/secrets/kubernetes.io/serviceaccount, or in LOGAPI_SERVICEACCOUNT_DIR)
              LOGAPI_SHUTDOWN_DELAY_SECONDS  after SIGTERM, keep serving this long with /readyz failing (default 0)
              LOGAPI_DRAIN_SECONDS           then let requests in flight finish for at most this long (default 20)
            """;

    LogApiConfig {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
    }

    /** A configuration for tests: the given address and name, no cluster. */
    static LogApiConfig of(String bindHost, int port, String podName, String version) {
        return new LogApiConfig(bindHost, port, podName, version, Optional.empty(), Duration.ofSeconds(10),
                Duration.ZERO, Duration.ofSeconds(20));
    }

    LogApiConfig withCluster(ClusterAccess access) {
        return new LogApiConfig(bindHost, port, podName, version, Optional.of(access), apiTimeout, shutdownDelay, drainTimeout);
    }

    /**
     * Reads the flags and the environment.
     *
     * @throws IllegalArgumentException with a message for the user (the caller prints it with the usage)
     */
    static LogApiConfig fromEnvironment(Map<String, String> env, List<String> args, String version) {
        String portText = env.get("PORT");
        String portSource = "PORT";
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--port") && i + 1 < args.size()) {
                portText = args.get(++i);
                portSource = "--port";
            } else if (a.startsWith("--port=")) {
                portText = a.substring("--port=".length());
                portSource = "--port";
            } else {
                throw new IllegalArgumentException("unknown argument: " + a);
            }
        }
        int port = DEFAULT_PORT;
        if (portText != null && !portText.isBlank()) {
            try {
                port = Integer.parseInt(portText.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(portSource + " is not a port number: " + portText);
            }
            if (port < 0 || port > 65535) throw new IllegalArgumentException(portSource + " must be between 0 and 65535: " + portText);
        }
        String host = nonBlank(env.get("POD_IP"), "0.0.0.0");
        String podName = nonBlank(env.get("POD_NAME"), nonBlank(env.get("HOSTNAME"), null));
        if (podName == null) {
            try {
                podName = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                podName = "localhost";
            }
        }
        Path saDir = env.containsKey("LOGAPI_SERVICEACCOUNT_DIR")
                ? Path.of(env.get("LOGAPI_SERVICEACCOUNT_DIR")) : ClusterAccess.SERVICE_ACCOUNT_DIR;
        Optional<ClusterAccess> cluster = ClusterAccess.fromEnvironment(env, saDir);
        return new LogApiConfig(host, port, podName, version, cluster, Duration.ofSeconds(10),
                seconds(env, "LOGAPI_SHUTDOWN_DELAY_SECONDS", 0), seconds(env, "LOGAPI_DRAIN_SECONDS", 20));
    }

    private static Duration seconds(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return Duration.ofSeconds(dflt);
        try {
            int s = Integer.parseInt(v.trim());
            if (s < 0) throw new NumberFormatException();
            return Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number of seconds, 0 or more: " + v);
        }
    }

    private static String nonBlank(String v, String dflt) {
        return v == null || v.isBlank() ? dflt : v.trim();
    }
}
