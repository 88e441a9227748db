package io.kubeha.apiserver.table;

/**
 * One {@code metav1.TableColumnDefinition}. {@code name} is kube-apiserver's ("Up-to-date", "Nominated Node"):
 * kubectl upper-cases it for the header. Priority 0 columns show in {@code kubectl get}, priority 1 only with
 * {@code -o wide}; the server always sends both, and the cells of both.
 */
record Column(String name, String type, String format, String description, int priority) {

    /** The NAME column every built-in printer starts with. */
    static final Column NAME = new Column("Name", "string", "name", Descriptions.OBJECT_NAME, 0);
    /** The AGE column: the object's age as Kubernetes' HumanDuration. */
    static final Column AGE = new Column("Age", "string", "", Descriptions.CREATION_TIMESTAMP, 0);

    static Column string(String name, String description) {
        return new Column(name, "string", "", description, 0);
    }

    static Column integer(String name, String description) {
        return new Column(name, "integer", "", description, 0);
    }

    static Column wide(String name, String description) {
        return new Column(name, "string", "", description, 1);
    }
}
