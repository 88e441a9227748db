package io.kubeha.apiserver.rules;

import io.kubeha.apiserver.api.FieldError;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The string formats of the Kubernetes API (k8s.io/apimachinery/pkg/util/validation and .../api/validate/content):
 * each check returns kube's explanations, empty when the value is valid, so callers wrap them in field errors
 * exactly as kube does.
 */
final class Names {
    private Names() {}

    static final String DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    static final String DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*";
    static final String DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
    static final String LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    static final String LABEL_VALUE_FMT = "(" + LABEL_KEY_FMT + ")?";
    static final String CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+";
    static final String PERCENT_FMT = "[0-9]+%";
    static final String HTTP_HEADER_FMT = "[-A-Za-z0-9]+";

    private static final Pattern DNS1123_LABEL = Pattern.compile("^" + DNS1123_LABEL_FMT + "$");
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile("^" + DNS1123_SUBDOMAIN_FMT + "$");
    private static final Pattern DNS1035_LABEL = Pattern.compile("^" + DNS1035_LABEL_FMT + "$");
    private static final Pattern LABEL_KEY = Pattern.compile("^" + LABEL_KEY_FMT + "$");
    private static final Pattern LABEL_VALUE = Pattern.compile("^" + LABEL_VALUE_FMT + "$");
    private static final Pattern CONFIG_KEY = Pattern.compile("^" + CONFIG_KEY_FMT + "$");
    private static final Pattern PERCENT = Pattern.compile("^" + PERCENT_FMT + "$");
    private static final Pattern HTTP_HEADER = Pattern.compile("^" + HTTP_HEADER_FMT + "$");
    private static final Pattern PORT_NAME_CHARS = Pattern.compile("^[-a-z0-9]+$");
    private static final Pattern HAS_LETTER = Pattern.compile("[a-z]");

    /** kube's RegexError, including its double space before "or" (it is in the real messages). */
    static String regexError(String msg, String fmt, String... examples) {
        if (examples.length == 0) return msg + " (regex used for validation is '" + fmt + "')";
        StringBuilder b = new StringBuilder(msg).append(" (e.g. ");
        for (int i = 0; i < examples.length; i++) {
            if (i > 0) b.append(" or ");
            b.append('\'').append(examples[i]).append("', ");
        }
        return b.append("regex used for validation is '").append(fmt).append("')").toString();
    }

    // Names of objects and DNS names still say "characters"; label keys and values moved to the newer
    // content package, which says "bytes" (both as kube-apiserver 1.34+ words them).
    static String maxLenChars(int n) {
        return "must be no more than " + n + " characters";
    }

    static String maxLenBytes(int n) {
        return "must be no more than " + n + " bytes";
    }

    static String inclusiveRange(long lo, long hi) {
        return "must be between " + lo + " and " + hi + ", inclusive";
    }

    static List<String> dns1123Label(String v) {
        List<String> errs = new ArrayList<>();
        if (utf8Len(v) > 63) errs.add(maxLenChars(63));
        if (!DNS1123_LABEL.matcher(v).matches()) {
            if (DNS1123_SUBDOMAIN.matcher(v).matches()) errs.add("must not contain dots");
            else errs.add(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                    + "and must start and end with an alphanumeric character", DNS1123_LABEL_FMT, "my-name", "123-abc"));
        }
        return errs;
    }

    static List<String> dns1123Subdomain(String v) {
        List<String> errs = new ArrayList<>();
        if (utf8Len(v) > 253) errs.add(maxLenChars(253));
        if (!DNS1123_SUBDOMAIN.matcher(v).matches()) {
            errs.add(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                    + "or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT, "example.com"));
        }
        return errs;
    }

    static List<String> dns1035Label(String v) {
        List<String> errs = new ArrayList<>();
        if (utf8Len(v) > 63) errs.add(maxLenChars(63));
        if (!DNS1035_LABEL.matcher(v).matches()) {
            errs.add(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                    + "an alphabetic character, and end with an alphanumeric character", DNS1035_LABEL_FMT, "my-name", "abc-123"));
        }
        return errs;
    }

    /** A name that must survive as one segment of a URL path (RBAC objects and the like). */
    static List<String> pathSegment(String v) {
        if (v.equals(".") || v.equals("..")) return List.of("may not be '" + v + "'");
        List<String> errs = new ArrayList<>();
        if (v.contains("/")) errs.add("may not contain '/'");
        if (v.contains("%")) errs.add("may not contain '%'");
        return errs;
    }

    /** Label keys, annotation keys, finalizers and other "qualified names": an optional DNS prefix and a name. */
    static List<String> qualifiedName(String v) {
        List<String> errs = new ArrayList<>();
        String[] parts = v.split("/", -1);
        String name;
        switch (parts.length) {
            case 1 -> name = parts[0];
            case 2 -> {
                String prefix = parts[0];
                name = parts[1];
                if (prefix.isEmpty()) errs.add("prefix part must be non-empty");
                else for (String m : dns1123SubdomainBytes(prefix)) errs.add("prefix part " + m);
            }
            default -> {
                errs.add("a valid label key " + regexError("must consist of alphanumeric characters, '-', '_' or '.', "
                        + "and must start and end with an alphanumeric character", LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
                        + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
            }
        }
        if (name.isEmpty()) errs.add("name part must be non-empty");
        else if (utf8Len(name) > 63) errs.add("name part " + maxLenBytes(63));
        if (!LABEL_KEY.matcher(name).matches()) {
            errs.add("name part " + regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start "
                    + "and end with an alphanumeric character", LABEL_KEY_FMT, "MyName", "my.name", "123-abc"));
        }
        return errs;
    }

    // the label-key prefix goes through the content package's subdomain check, which counts bytes
    private static List<String> dns1123SubdomainBytes(String v) {
        List<String> errs = new ArrayList<>();
        if (utf8Len(v) > 253) errs.add(maxLenBytes(253));
        if (!DNS1123_SUBDOMAIN.matcher(v).matches()) {
            errs.add(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                    + "or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT, "example.com"));
        }
        return errs;
    }

    static List<String> labelValue(String v) {
        List<String> errs = new ArrayList<>();
        if (utf8Len(v) > 63) errs.add(maxLenBytes(63));
        if (!LABEL_VALUE.matcher(v).matches()) {
            errs.add(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                    + "'.', and must start and end with an alphanumeric character", LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
        }
        return errs;
    }

    /** Keys of ConfigMap and Secret data (they become file names, hence the '.' and '..' rules). */
    static List<String> configMapKey(String v) {
        List<String> errs = new ArrayList<>();
        if (utf8Len(v) > 253) errs.add(maxLenChars(253));
        if (!CONFIG_KEY.matcher(v).matches()) {
            errs.add(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                    CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"));
        }
        if (v.equals(".")) errs.add("must not be '.'");
        else if (v.equals("..")) errs.add("must not be '..'");
        else if (v.startsWith("..")) errs.add("must not start with '..'");
        return errs;
    }

    /**
     * Environment variable names with RelaxedEnvironmentVariableValidation (GA in Kubernetes 1.34): any printable
     * ASCII but '='.
     */
    static List<String> envVarName(String v) {
        List<String> errs = new ArrayList<>();
        if (v.isEmpty()) errs.add("environment variable name must be non-empty");
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '=') {
                errs.add("a valid environment variable name must consist only of printable ASCII characters other than '='");
                break;
            }
        }
        return errs;
    }

    /** IANA service names, as container and probe ports may be named (RFC 6335, lower case only). */
    static List<String> portName(String v) {
        List<String> errs = new ArrayList<>();
        if (utf8Len(v) > 15) errs.add(maxLenChars(15));
        if (!PORT_NAME_CHARS.matcher(v).matches()) errs.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        if (!HAS_LETTER.matcher(v).find()) errs.add("must contain at least one letter (a-z)");
        if (v.contains("--")) errs.add("must not contain consecutive hyphens");
        if (!v.isEmpty() && (v.charAt(0) == '-' || v.charAt(v.length() - 1) == '-')) errs.add("must not begin or end with a hyphen");
        return errs;
    }

    static List<String> portNum(long port) {
        return port >= 1 && port <= 65535 ? List.of() : List.of(inclusiveRange(1, 65535));
    }

    static List<String> percent(String v) {
        return PERCENT.matcher(v).matches() ? List.of() : List.of(regexError(
                "a valid percent string must be a numeric string followed by an ending '%'", PERCENT_FMT, "1%", "93%"));
    }

    static List<String> httpHeaderName(String v) {
        return HTTP_HEADER.matcher(v).matches() ? List.of() : List.of(regexError(
                "a valid HTTP header must consist of alphanumeric characters or '-'", HTTP_HEADER_FMT, "X-Header-Name"));
    }

    // ---- IP addresses: literal parsing only, never a DNS lookup ----

    private static final Pattern IPV4 = Pattern.compile("^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$");
    private static final Pattern IPV6_CHARS = Pattern.compile("^[0-9A-Fa-f:.]+$");

    /** Parses an IPv4 or IPv6 literal the way Go's net.ParseIP does (leading zeros allowed in IPv4), or null. */
    static InetAddress parseIp(String v) {
        if (v == null || v.isEmpty()) return null;
        var m = IPV4.matcher(v);
        if (m.matches()) {
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                int part = Integer.parseInt(m.group(i + 1));
                if (part > 255) return null;
                b[i] = (byte) part;
            }
            try {
                return InetAddress.getByAddress(b);
            } catch (UnknownHostException e) {
                return null;
            }
        }
        if (!v.contains(":") || !IPV6_CHARS.matcher(v).matches()) return null;
        try {
            // only hex digits, ':' and '.' reach this point, so it is parsed as a literal, never resolved
            return InetAddress.getByName(v.startsWith("[") ? v : "[" + v + "]");
        } catch (UnknownHostException | IllegalArgumentException e) {
            return null;
        }
    }

    static boolean isIpv6(String v) {
        return parseIp(v) instanceof java.net.Inet6Address;
    }

    static List<FieldError> validIp(Path p, String v) {
        return parseIp(v) == null
                ? List.of(Errs.invalid(p, v, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
                : List.of();
    }

    static List<FieldError> validCidr(Path p, String v) {
        int slash = v.indexOf('/');
        boolean ok = false;
        if (slash > 0) {
            InetAddress ip = parseIp(v.substring(0, slash));
            try {
                int bits = Integer.parseInt(v.substring(slash + 1));
                ok = ip != null && bits >= 0 && bits <= ip.getAddress().length * 8;
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        return ok ? List.of() : List.of(Errs.invalid(p, v, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
    }

    static int utf8Len(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
