package io.kubeha.apiserver.patch;

import io.kubeha.apiserver.api.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A path to a field of an object, as server-side apply names fields (structured-merge-diff's fieldpath):
 * printed {@code .spec.template.spec.containers[name="nginx"].image} in conflict messages, and written
 * {@code f:spec}, {@code k:{"name":"nginx"}}, {@code v:"x"}, {@code i:0} in managedFields' fieldsV1.
 */
record FieldPath(List<FieldPath.Element> elements) {
    static final FieldPath ROOT = new FieldPath(List.of());

    FieldPath {
        elements = List.copyOf(elements);
    }

    /** One step of a path. Elements order as structured-merge-diff sorts them: fields, keys, values, indexes. */
    sealed interface Element extends Comparable<Element> {
        /** The form used in fieldsV1. */
        String encoded();

        private int rank() {
            return switch (this) {
                case Field f -> 0;
                case Key k -> 1;
                case Value v -> 2;
                case Index i -> 3;
            };
        }

        @Override
        default int compareTo(Element o) {
            int r = Integer.compare(rank(), o.rank());
            if (r != 0) return r;
            return switch (this) {
                case Field f -> f.name().compareTo(((Field) o).name());
                case Key k -> k.json().compareTo(((Key) o).json());
                case Value v -> v.json().compareTo(((Value) o).json());
                case Index i -> Integer.compare(i.index(), ((Index) o).index());
            };
        }

        /** Reads the fieldsV1 form; IllegalArgumentException when it is not one. */
        static Element decode(String s) {
            if (s.length() < 2 || s.charAt(1) != ':') throw new IllegalArgumentException("invalid path element " + s);
            String rest = s.substring(2);
            return switch (s.charAt(0)) {
                case 'f' -> new Field(rest);
                case 'k' -> {
                    JsonNode key = parse(rest);
                    if (!key.isObject()) throw new IllegalArgumentException("invalid key " + s);
                    yield new Key(Trees.canonical(key));
                }
                case 'v' -> new Value(Trees.canonical(parse(rest)));
                case 'i' -> {
                    try {
                        yield new Index(Integer.parseInt(rest));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("invalid index " + s, e);
                    }
                }
                default -> throw new IllegalArgumentException("invalid path element " + s);
            };
        }

        private static JsonNode parse(String json) {
            try {
                return Json.MAPPER.readTree(json);
            } catch (JacksonException e) {
                throw new IllegalArgumentException("invalid JSON in path element " + json, e);
            }
        }
    }

    /** A field of an object (struct or map). */
    record Field(String name) implements Element {
        @Override
        public String encoded() {
            return "f:" + name;
        }

        @Override
        public String toString() {
            return "." + name;
        }
    }

    /** An item of an associative list, by its key fields; {@code json} is the key object in canonical JSON. */
    record Key(String json) implements Element {
        static Key of(JsonNode keyObject) {
            return new Key(Trees.canonical(keyObject));
        }

        JsonNode fields() {
            return Element.parse(json);
        }

        @Override
        public String encoded() {
            return "k:" + json;
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : fields().properties()) {
                parts.add(e.getKey() + "=" + Trees.canonical(e.getValue()));
            }
            return "[" + String.join(",", parts) + "]";
        }
    }

    /** A member of a set (a list of scalars merged as a set), by value. */
    record Value(String json) implements Element {
        static Value of(JsonNode value) {
            return new Value(Trees.canonical(value));
        }

        JsonNode value() {
            return Element.parse(json);
        }

        @Override
        public String encoded() {
            return "v:" + json;
        }

        @Override
        public String toString() {
            return "[=" + json + "]";
        }
    }

    /** An item of a list by position: only for list items that have no usable key. */
    record Index(int index) implements Element {
        @Override
        public String encoded() {
            return "i:" + index;
        }

        @Override
        public String toString() {
            return "[" + index + "]";
        }
    }

    FieldPath child(Element e) {
        List<Element> l = new ArrayList<>(elements.size() + 1);
        l.addAll(elements);
        l.add(e);
        return new FieldPath(l);
    }

    FieldPath field(String name) {
        return child(new Field(name));
    }

    boolean startsWith(FieldPath prefix) {
        return elements.size() >= prefix.elements.size()
                && elements.subList(0, prefix.elements.size()).equals(prefix.elements);
    }

    boolean isRoot() {
        return elements.isEmpty();
    }

    Element last() {
        return elements.get(elements.size() - 1);
    }

    FieldPath parent() {
        return new FieldPath(elements.subList(0, elements.size() - 1));
    }

    /** As kube-apiserver prints a path in a conflict: {@code .spec.replicas}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Element e : elements) sb.append(e);
        return sb.toString();
    }
}
