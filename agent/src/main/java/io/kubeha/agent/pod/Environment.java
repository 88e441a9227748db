package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's environment, composed as the kubelet does: the service variables of the pod's namespace (and the
 * kubernetes service's), {@code envFrom}, then {@code env} with the downward API ({@code fieldRef},
 * {@code resourceFieldRef}), {@code configMapKeyRef} and {@code secretKeyRef}, and {@code $(VAR)} references
 * expanded. The process runtime adds what a process needs that an image would have: PATH, HOME, HOSTNAME, and
 * POD_IP (loopback mode: the process must bind its pod's address).
 */
final class Environment {
    /** Looks up a ConfigMap or Secret of the pod's namespace; null when it does not exist. */
    interface Lookup {
        ConfigMap configMap(String namespace, String name);

        Secret secret(String namespace, String name);

        /** Services of a namespace, for the service environment variables. */
        List<Service> services(String namespace);
    }

    /** A reference that cannot be resolved: the container does not start (CreateContainerConfigError). */
    static final class ConfigError extends Exception {
        ConfigError(String message) {
            super(message);
        }
    }

    private Environment() {
    }

    static Map<String, String> of(Pod pod, Container c, String podIp, String hostIp, Lookup lookup) throws ConfigError {
        String ns = pod.getMetadata().getNamespace();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        String hostname = pod.getSpec().getHostname() != null ? pod.getSpec().getHostname() : pod.getMetadata().getName();
        env.put("HOSTNAME", hostname);
        if (!Boolean.FALSE.equals(pod.getSpec().getEnableServiceLinks())) {
            serviceVariables(lookup.services(ns), env);
        }
        if (!"default".equals(ns)) {
            lookup.services("default").stream().filter(s -> "kubernetes".equals(s.getMetadata().getName()))
                    .forEach(s -> serviceVariables(List.of(s), env));
        }
        env.put("POD_IP", podIp);
        for (EnvFromSource from : nz(c.getEnvFrom())) {
            String prefix = from.getPrefix() == null ? "" : from.getPrefix();
            if (from.getConfigMapRef() != null) {
                ConfigMap cm = lookup.configMap(ns, from.getConfigMapRef().getName());
                if (cm == null) {
                    if (Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) continue;
                    throw new ConfigError("configmap \"" + from.getConfigMapRef().getName() + "\" not found");
                }
                if (cm.getData() != null) cm.getData().forEach((k, v) -> env.put(prefix + k, v));
            }
            if (from.getSecretRef() != null) {
                Secret s = lookup.secret(ns, from.getSecretRef().getName());
                if (s == null) {
                    if (Boolean.TRUE.equals(from.getSecretRef().getOptional())) continue;
                    throw new ConfigError("secret \"" + from.getSecretRef().getName() + "\" not found");
                }
                secretData(s).forEach((k, v) -> env.put(prefix + k, v));
            }
        }
        for (EnvVar e : nz(c.getEnv())) {
            if (e.getValueFrom() == null) {
                env.put(e.getName(), expand(e.getValue() == null ? "" : e.getValue(), env));
                continue;
            }
            String v = valueFrom(pod, c, e, podIp, hostIp, lookup);
            if (v != null) env.put(e.getName(), v);
        }
        return env;
    }

    private static String valueFrom(Pod pod, Container c, EnvVar e, String podIp, String hostIp, Lookup lookup) throws ConfigError {
        EnvVarSource src = e.getValueFrom();
        String ns = pod.getMetadata().getNamespace();
        if (src.getFieldRef() != null) {
            return field(pod, src.getFieldRef().getFieldPath(), podIp, hostIp);
        }
        if (src.getResourceFieldRef() != null) {
            return resource(pod, c, src.getResourceFieldRef().getContainerName(), src.getResourceFieldRef().getResource(),
                    src.getResourceFieldRef().getDivisor());
        }
        if (src.getConfigMapKeyRef() != null) {
            var ref = src.getConfigMapKeyRef();
            return key(lookup.configMap(ns, ref.getName()), "configmap", ref.getName(), ref.getKey(), ref.getOptional(),
                    (cm, k) -> cm.getData() == null ? null : cm.getData().get(k));
        }
        if (src.getSecretKeyRef() != null) {
            var ref = src.getSecretKeyRef();
            return key(lookup.secret(ns, ref.getName()), "secret", ref.getName(), ref.getKey(), ref.getOptional(),
                    (s, k) -> secretData(s).get(k));
        }
        throw new ConfigError("env " + e.getName() + ": valueFrom names no source");
    }

    private static <T> String key(T source, String kind, String name, String key, Boolean optional, BiFunction<T, String, String> get)
            throws ConfigError {
        boolean opt = Boolean.TRUE.equals(optional);
        if (source == null) {
            if (opt) return null;
            throw new ConfigError(kind + " \"" + name + "\" not found");
        }
        String v = get.apply(source, key);
        if (v == null) {
            if (opt) return null;
            throw new ConfigError("couldn't find key " + key + " in " + (kind.equals("secret") ? "Secret" : "ConfigMap") + " "
                    + name);
        }
        return v;
    }

    private static final Pattern MAP_KEY = Pattern.compile("metadata\\.(labels|annotations)\\['(.+)'\\]");

    static String field(Pod pod, String path, String podIp, String hostIp) throws ConfigError {
        var m = pod.getMetadata();
        switch (path) {
            case "metadata.name": return m.getName();
            case "metadata.namespace": return m.getNamespace();
            case "metadata.uid": return m.getUid();
            case "spec.nodeName": return pod.getSpec().getNodeName();
            case "spec.serviceAccountName": return pod.getSpec().getServiceAccountName();
            case "status.hostIP":
            case "status.hostIPs": return hostIp;
            case "status.podIP":
            case "status.podIPs": return podIp;
            default:
        }
        Matcher mk = MAP_KEY.matcher(path);
        if (mk.matches()) {
            Map<String, String> map = mk.group(1).equals("labels") ? m.getLabels() : m.getAnnotations();
            return map == null ? "" : map.getOrDefault(mk.group(2), "");
        }
        if (path.equals("metadata.labels") || path.equals("metadata.annotations")) {
            Map<String, String> map = path.endsWith("labels") ? m.getLabels() : m.getAnnotations();
            StringBuilder sb = new StringBuilder();
            if (map != null) map.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(en -> sb.append(en.getKey()).append("=\"").append(en.getValue()).append("\"\n"));
            return sb.toString().strip();
        }
        throw new ConfigError("unsupported fieldRef " + path);
    }

    static String resource(Pod pod, Container self, String containerName, String resource, Quantity divisor) throws ConfigError {
        Container c = self;
        if (containerName != null && !containerName.isEmpty()) {
            c = pod.getSpec().getContainers().stream().filter(x -> x.getName().equals(containerName)).findFirst()
                    .orElseThrow(() -> new ConfigError("resourceFieldRef: no container " + containerName));
        }
        String[] parts = resource.split("\\.", 2);
        if (parts.length != 2) throw new ConfigError("unsupported resourceFieldRef " + resource);
        var req = c.getResources();
        Map<String, Quantity> map = req == null ? null : parts[0].equals("limits") ? req.getLimits() : req.getRequests();
        Quantity q = map == null ? null : map.get(parts[1]);
        if (q == null) return parts[1].equals("cpu") ? Integer.toString(java.lang.Runtime.getRuntime().availableProcessors()) : "0";
        java.math.BigDecimal value = q.getNumericalAmount();
        java.math.BigDecimal div = divisor == null ? java.math.BigDecimal.ONE : divisor.getNumericalAmount();
        // the kubelet rounds up: 250m of cpu with divisor 1 is 1
        return value.divide(div, 0, java.math.RoundingMode.CEILING).toPlainString();
    }

    static Map<String, String> secretData(Secret s) {
        Map<String, String> out = new LinkedHashMap<>();
        if (s.getData() != null) {
            s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        if (s.getStringData() != null) out.putAll(s.getStringData());
        return out;
    }

    /** {SVC}_SERVICE_HOST, {SVC}_SERVICE_PORT, {SVC}_PORT=tcp://..., and the per-port ones, as the kubelet writes them. */
    static void serviceVariables(List<Service> services, Map<String, String> env) {
        for (Service s : services) {
            String ip = s.getSpec().getClusterIP();
            if (ip == null || ip.isEmpty() || ip.equals("None")) continue;
            String name = s.getMetadata().getName().toUpperCase(Locale.ROOT).replace('-', '_');
            List<ServicePort> ports = nz(s.getSpec().getPorts());
            if (ports.isEmpty()) continue;
            ServicePort first = ports.getFirst();
            env.put(name + "_SERVICE_HOST", ip);
            env.put(name + "_SERVICE_PORT", Integer.toString(first.getPort()));
            for (ServicePort p : ports) {
                if (p.getName() != null && !p.getName().isEmpty()) {
                    env.put(name + "_SERVICE_PORT_" + p.getName().toUpperCase(Locale.ROOT).replace('-', '_'), Integer.toString(p.getPort()));
                }
            }
            String proto = first.getProtocol() == null ? "TCP" : first.getProtocol();
            env.put(name + "_PORT", proto.toLowerCase(Locale.ROOT) + "://" + ip + ":" + first.getPort());
            for (ServicePort p : ports) {
                String pr = p.getProtocol() == null ? "TCP" : p.getProtocol();
                String prefix = name + "_PORT_" + p.getPort() + "_" + pr.toUpperCase(Locale.ROOT);
                env.put(prefix, pr.toLowerCase(Locale.ROOT) + "://" + ip + ":" + p.getPort());
                env.put(prefix + "_PROTO", pr.toLowerCase(Locale.ROOT));
                env.put(prefix + "_PORT", Integer.toString(p.getPort()));
                env.put(prefix + "_ADDR", ip);
            }
        }
    }

    private static final Pattern REF = Pattern.compile("\\$\\$|\\$\\(([-._a-zA-Z][-._a-zA-Z0-9]*)\\)");

    /** Kubernetes' $(VAR) expansion: defined names are replaced, undefined ones left as they are, $$ escapes. */
    static String expand(String s, Map<String, String> env) {
        Matcher m = REF.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String rep;
            if (m.group().equals("$$")) rep = "$";
            else rep = env.getOrDefault(m.group(1), m.group());
            m.appendReplacement(sb, Matcher.quoteReplacement(rep));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static List<String> expandAll(List<String> args, Map<String, String> env) {
        return args == null ? List.of() : args.stream().map(a -> expand(a, env)).toList();
    }

    private static <T> List<T> nz(List<T> l) {
        return l == null ? List.of() : l;
    }
}
