package io.kubeha.apiserver.selection;

import io.kubeha.apiserver.api.ApiException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A parsed {@code labelSelector}, with Kubernetes' grammar: comma-separated requirements, each one of
 * {@code key}, {@code !key}, {@code key=value}, {@code key==value}, {@code key!=value},
 * {@code key in (a,b)}, {@code key notin (a,b)}, {@code key>1}, {@code key<1}. All must hold.
 */
public record LabelSelector(List<Requirement> requirements) {
    public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

    public enum Operator { EXISTS, NOT_EXISTS, EQUALS, NOT_EQUALS, IN, NOT_IN, GREATER_THAN, LESS_THAN }

    public record Requirement(String key, Operator op, Set<String> values) {
        boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            return switch (op) {
                case EXISTS -> labels.containsKey(key);
                case NOT_EXISTS -> !labels.containsKey(key);
                case EQUALS, IN -> v != null && values.contains(v);
                case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
                case GREATER_THAN, LESS_THAN -> {
                    if (v == null) yield false;
                    try {
                        long have = Long.parseLong(v);
                        long want = Long.parseLong(values.iterator().next());
                        yield op == Operator.GREATER_THAN ? have > want : have < want;
                    } catch (NumberFormatException e) {
                        yield false;
                    }
                }
            };
        }
    }

    public boolean isEmpty() {
        return requirements.isEmpty();
    }

    public boolean matches(Map<String, String> labels) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        for (Requirement r : requirements) if (!r.matches(l)) return false;
        return true;
    }

    /** Parses a selector; a syntax error is a 400 with kube-apiserver's wording. */
    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) return EVERYTHING;
        List<Requirement> out = new ArrayList<>();
        for (String part : splitTopLevel(text)) {
            String s = part.strip();
            if (s.isEmpty()) throw bad(text, "found '', expected: !, identifier, or 'end of string'");
            out.add(requirement(s, text));
        }
        return new LabelSelector(List.copyOf(out));
    }

    /** Splits on commas outside parentheses. */
    private static List<String> splitTopLevel(String text) {
        List<String> parts = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(text.substring(start));
        return parts;
    }

    private static Requirement requirement(String s, String whole) {
        if (s.startsWith("!")) {
            String key = s.substring(1).strip();
            checkKey(key, whole);
            return new Requirement(key, Operator.NOT_EXISTS, Set.of());
        }
        String[] ops = {"==", "!=", "=", ">", "<"};
        for (String op : ops) {
            int i = s.indexOf(op);
            if (i > 0 && !s.substring(0, i).contains(" ") && !s.substring(0, i).contains("(")) {
                String key = s.substring(0, i).strip();
                String value = s.substring(i + op.length()).strip();
                checkKey(key, whole);
                checkValue(value, whole);
                Operator o = switch (op) {
                    case "==", "=" -> Operator.EQUALS;
                    case "!=" -> Operator.NOT_EQUALS;
                    case ">" -> Operator.GREATER_THAN;
                    default -> Operator.LESS_THAN;
                };
                if ((o == Operator.GREATER_THAN || o == Operator.LESS_THAN) && !value.matches("-?\\d+")) {
                    throw bad(whole, "for 'gt', 'lt' operators, the value must be an integer");
                }
                return new Requirement(key, o, Set.of(value));
            }
        }
        String[] words = s.split("\\s+", 2);
        if (words.length == 2) {
            String key = words[0];
            String rest = words[1].strip();
            Operator o = null;
            if (rest.startsWith("notin")) {
                o = Operator.NOT_IN;
                rest = rest.substring(5).strip();
            } else if (rest.startsWith("in")) {
                o = Operator.IN;
                rest = rest.substring(2).strip();
            }
            if (o != null) {
                if (!rest.startsWith("(") || !rest.endsWith(")")) throw bad(whole, "found '" + rest + "', expected: '('");
                checkKey(key, whole);
                Set<String> values = new TreeSet<>();
                for (String v : rest.substring(1, rest.length() - 1).split(",")) {
                    String value = v.strip();
                    checkValue(value, whole);
                    values.add(value);
                }
                return new Requirement(key, o, values);
            }
            throw bad(whole, "found '" + rest.split("\\s+")[0] + "', expected: in, notin, =, ==, !=, gt, lt");
        }
        checkKey(s, whole);
        return new Requirement(s, Operator.EXISTS, Set.of());
    }

    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final java.util.regex.Pattern PREFIX = java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private static void checkKey(String key, String whole) {
        String name = key;
        int slash = key.indexOf('/');
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            name = key.substring(slash + 1);
            if (prefix.isEmpty() || prefix.length() > 253 || !PREFIX.matcher(prefix).matches()) {
                throw bad(whole, "invalid label key \"" + key + "\": prefix part must be a lowercase RFC 1123 subdomain");
            }
        }
        if (name.isEmpty() || name.length() > 63 || !NAME.matcher(name).matches()) {
            throw bad(whole, "invalid label key \"" + key + "\": name part must consist of alphanumeric characters, '-', '_' or '.', "
                    + "and must start and end with an alphanumeric character");
        }
    }

    private static void checkValue(String value, String whole) {
        if (!value.isEmpty() && (value.length() > 63 || !NAME.matcher(value).matches())) {
            throw bad(whole, "invalid label value: \"" + value + "\": at key: must be no more than 63 characters and consist of "
                    + "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character");
        }
    }

    private static ApiException bad(String whole, String why) {
        return ApiException.badRequest("unable to parse requirement: " + why + " (in selector \"" + whole + "\")");
    }
}
