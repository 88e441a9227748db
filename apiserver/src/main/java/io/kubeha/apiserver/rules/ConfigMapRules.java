package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

import static io.kubeha.apiserver.rules.Meta.map;

/** ConfigMaps (core/v1): key names, 1 MiB in all, and {@code immutable}. */
final class ConfigMapRules extends KindRules<ConfigMap> {
    static final int MAX_SIZE = 1024 * 1024;

    ConfigMapRules() {
        super(true, NameRule.DNS_SUBDOMAIN);
    }

    @Override
    List<FieldError> validateKind(ConfigMap cm) {
        List<FieldError> errs = new ArrayList<>();
        long total = 0;
        for (var e : map(cm.getData()).entrySet()) {
            Path p = Path.of("data").key(e.getKey());
            for (String msg : Names.configMapKey(e.getKey())) errs.add(Errs.invalid(p, e.getKey(), msg));
            if (map(cm.getBinaryData()).containsKey(e.getKey())) errs.add(Errs.invalid(p, e.getKey(), "duplicate of key present in binaryData"));
            total += Names.utf8Len(e.getValue() == null ? "" : e.getValue());
        }
        for (var e : map(cm.getBinaryData()).entrySet()) {
            for (String msg : Names.configMapKey(e.getKey())) errs.add(Errs.invalid(Path.of("binaryData").key(e.getKey()), e.getKey(), msg));
            total += decodedLength(e.getValue());
        }
        // kube reports the whole object, at the empty path
        if (total > MAX_SIZE) errs.add(Errs.tooLong(Path.of(""), MAX_SIZE));
        return errs;
    }

    @Override
    List<FieldError> validateKindUpdate(ConfigMap cm, ConfigMap old) {
        List<FieldError> errs = new ArrayList<>();
        if (Boolean.TRUE.equals(old.getImmutable())) {
            String why = "field is immutable when `immutable` is set";
            if (!Boolean.TRUE.equals(cm.getImmutable())) errs.add(Errs.forbidden(Path.of("immutable"), why));
            if (!Objects.equals(map(cm.getData()), map(old.getData()))) errs.add(Errs.forbidden(Path.of("data"), why));
            if (!Objects.equals(map(cm.getBinaryData()), map(old.getBinaryData()))) errs.add(Errs.forbidden(Path.of("binaryData"), why));
        }
        errs.addAll(validateKind(cm));
        return errs;
    }

    static long decodedLength(String base64) {
        if (base64 == null) return 0;
        try {
            return Base64.getMimeDecoder().decode(base64).length;
        } catch (IllegalArgumentException e) {
            return base64.length();
        }
    }
}
