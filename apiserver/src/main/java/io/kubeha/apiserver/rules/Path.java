package io.kubeha.apiserver.rules;

/**
 * A field path as kube-apiserver prints it (k8s.io/apimachinery field.Path): children joined by dots, list
 * indexes and map keys in brackets, e.g. {@code spec.containers[0].ports[1].name} or {@code metadata.labels[app]}.
 * Immutable; every step returns a new path.
 */
final class Path {
    private final String text;

    private Path(String text) {
        this.text = text;
    }

    static Path of(String first, String... more) {
        Path p = new Path(first);
        for (String m : more) p = p.child(m);
        return p;
    }

    Path child(String name) {
        return new Path(text.isEmpty() ? name : text + "." + name);
    }

    Path child(String name, String... more) {
        Path p = child(name);
        for (String m : more) p = p.child(m);
        return p;
    }

    Path index(int i) {
        return new Path(text + "[" + i + "]");
    }

    Path key(String key) {
        return new Path(text + "[" + key + "]");
    }

    @Override
    public String toString() {
        return text;
    }
}
