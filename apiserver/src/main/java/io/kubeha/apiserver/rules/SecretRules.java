package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Secret;
import io.kubeha.apiserver.api.FieldError;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.kubeha.apiserver.rules.Meta.map;
import static io.kubeha.apiserver.rules.Meta.nz;

/** Secrets (core/v1): Opaque by default, stringData folded into data, per-type required keys, 1 MiB, type fixed. */
final class SecretRules extends KindRules<Secret> {
    SecretRules() {
        super(true, NameRule.DNS_SUBDOMAIN);
    }

    /**
     * kube never stores stringData: decoding a v1 Secret writes each entry into data (base64), over a data entry
     * of the same key.
     */
    @Override
    public void applyDefaults(Secret s) {
        if (nz(s.getType()).isEmpty()) s.setType("Opaque");
        if (s.getStringData() != null && !s.getStringData().isEmpty()) {
            Map<String, String> data = new LinkedHashMap<>(map(s.getData()));
            for (var e : s.getStringData().entrySet()) {
                data.put(e.getKey(), Base64.getEncoder().encodeToString(nz(e.getValue()).getBytes(StandardCharsets.UTF_8)));
            }
            s.setData(data);
        }
        s.setStringData(null);
    }

    @Override
    List<FieldError> validateKind(Secret s) {
        List<FieldError> errs = new ArrayList<>();
        Path data = Path.of("data");
        long total = 0;
        Map<String, String> d = map(s.getData());
        for (var e : d.entrySet()) {
            for (String msg : Names.configMapKey(e.getKey())) errs.add(Errs.invalid(data.key(e.getKey()), e.getKey(), msg));
            total += ConfigMapRules.decodedLength(e.getValue());
        }
        if (total > ConfigMapRules.MAX_SIZE) errs.add(Errs.tooLong(data, ConfigMapRules.MAX_SIZE));
        switch (nz(s.getType())) {
            case "kubernetes.io/service-account-token" -> {
                var ann = s.getMetadata() == null ? null : s.getMetadata().getAnnotations();
                if (nz(map(ann).get("kubernetes.io/service-account.name")).isEmpty()) {
                    errs.add(Errs.required(Path.of("metadata", "annotations").key("kubernetes.io/service-account.name")));
                }
            }
            case "kubernetes.io/dockercfg" -> requireKey(errs, d, data, ".dockercfg");
            case "kubernetes.io/dockerconfigjson" -> requireKey(errs, d, data, ".dockerconfigjson");
            case "kubernetes.io/basic-auth" -> {
                if (!d.containsKey("username") && !d.containsKey("password")) {
                    // kube's own path has a stray "%s" in it; reproduced as clients see it
                    errs.add(Errs.required(Path.of("data[%s]").key("username")));
                    errs.add(Errs.required(Path.of("data[%s]").key("password")));
                }
            }
            case "kubernetes.io/ssh-auth" -> {
                if (ConfigMapRules.decodedLength(d.get("ssh-privatekey")) == 0) errs.add(Errs.required(Path.of("data[%s]").key("ssh-privatekey")));
            }
            case "kubernetes.io/tls" -> {
                requireKey(errs, d, data, "tls.crt");
                requireKey(errs, d, data, "tls.key");
            }
            default -> { }
        }
        return errs;
    }

    private static void requireKey(List<FieldError> errs, Map<String, String> d, Path data, String key) {
        if (!d.containsKey(key)) errs.add(Errs.required(data.key(key)));
    }

    @Override
    List<FieldError> validateKindUpdate(Secret s, Secret old) {
        List<FieldError> errs = new ArrayList<>();
        if (!nz(s.getType()).equals(nz(old.getType()))) errs.add(Errs.immutable(Path.of("type"), Go.quote(nz(s.getType()))));
        if (Boolean.TRUE.equals(old.getImmutable())) {
            String why = "field is immutable when `immutable` is set";
            if (!Boolean.TRUE.equals(s.getImmutable())) errs.add(Errs.forbidden(Path.of("immutable"), why));
            if (!Objects.equals(map(s.getData()), map(old.getData()))) errs.add(Errs.forbidden(Path.of("data"), why));
        }
        errs.addAll(validateKind(s));
        return errs;
    }
}
