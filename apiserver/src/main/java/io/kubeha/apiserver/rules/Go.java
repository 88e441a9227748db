package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Values printed the way kube-apiserver prints a field error's bad value, which is Go's fmt: strings with
 * {@code %q}, numbers bare, structs and maps with {@code %#v} (keys sorted). Clients and people match on these
 * messages, so they are reproduced rather than rendered as JSON.
 */
final class Go {
    private Go() {}

    /** Go's strconv.Quote (one copy, shared with RBAC's messages). */
    static String quote(String s) {
        return s == null ? "\"\"" : io.kubeha.security.auth.GoStrings.quote(s);
    }

    /** {@code map[string]string{"a":"b", "c":"d"}}; Go prints a nil map as {@code map[string]string(nil)}. */
    static String stringMap(Map<String, String> m) {
        if (m == null || m.isEmpty()) return "map[string]string(nil)";
        StringBuilder b = new StringBuilder("map[string]string{");
        int i = 0;
        for (var e : new TreeMap<>(m).entrySet()) {
            if (i++ > 0) b.append(", ");
            b.append(quote(e.getKey())).append(':').append(quote(e.getValue()));
        }
        return b.append('}').toString();
    }

    /** {@code []string{"a", "b"}}, or {@code []string(nil)}. */
    static String strings(List<String> l) {
        if (l == null || l.isEmpty()) return "[]string(nil)";
        StringBuilder b = new StringBuilder("[]string{");
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) b.append(", ");
            b.append(quote(l.get(i)));
        }
        return b.append('}').toString();
    }

    /** A metav1.LabelSelector as {@code %#v} prints it, the form users know from "field is immutable" errors. */
    static String selector(LabelSelector s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("v1.LabelSelector{MatchLabels:").append(stringMap(s.getMatchLabels()))
                .append(", MatchExpressions:");
        List<LabelSelectorRequirement> exprs = s.getMatchExpressions();
        if (exprs == null || exprs.isEmpty()) {
            b.append("[]v1.LabelSelectorRequirement(nil)");
        } else {
            b.append("[]v1.LabelSelectorRequirement{");
            for (int i = 0; i < exprs.size(); i++) {
                LabelSelectorRequirement r = exprs.get(i);
                if (i > 0) b.append(", ");
                b.append("v1.LabelSelectorRequirement{Key:").append(quote(r.getKey()))
                        .append(", Operator:").append(quote(r.getOperator()))
                        .append(", Values:").append(strings(r.getValues())).append('}');
            }
            b.append('}');
        }
        return b.append('}').toString();
    }

    /** intstr.IntOrString prints through its String method: {@code 25%} or {@code 1}, unquoted. */
    static String intOrString(IntOrString v) {
        if (v == null) return "0";
        if (v.getStrVal() != null) return v.getStrVal();
        return String.valueOf(v.getIntVal() == null ? 0 : v.getIntVal());
    }

    /** A []byte as {@code %#v} prints it: {@code []byte{0x2d, 0xa}}, or {@code []byte(nil)} when empty. */
    static String bytes(byte[] b) {
        if (b == null || b.length == 0) return "[]byte(nil)";
        StringBuilder out = new StringBuilder(b.length * 6 + 8).append("[]byte{");
        for (int i = 0; i < b.length; i++) {
            if (i > 0) out.append(", ");
            out.append("0x").append(Integer.toHexString(b[i] & 0xff));
        }
        return out.append('}').toString();
    }
}
