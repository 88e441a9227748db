package io.kubeha.apiserver.patch;

/**
 * What the fabric8 model says the JSON value at some place in an object is: enough to know how a strategic
 * merge patch merges it and how server-side apply tracks who owns it.
 */
sealed interface Shape {
    Shape SCALAR = new Scalar();
    Shape UNKNOWN = new Unknown();

    /** A Kubernetes struct (a fabric8 model class): its fields and their patch tags are known. */
    record Struct(Class<?> type) implements Shape {}

    /** A {@code map[string]T}: labels, annotations, data, resource lists. */
    record MapOf(Shape values) implements Shape {}

    /** A {@code []T}. How it merges depends on the tag of the field that holds it. */
    record ListOf(Shape items) implements Shape {}

    /** A JSON scalar, including the types fabric8 writes as one (IntOrString, Quantity). */
    record Scalar() implements Shape {}

    /**
     * No model information (a field fabric8 does not know, a free-form object, or no model at all):
     * objects merge key by key, lists are replaced whole, as in a JSON merge patch.
     */
    record Unknown() implements Shape {}

    /** The shape of the members of an object of this shape, when there is no field information. */
    default Shape items() {
        return switch (this) {
            case MapOf m -> m.values();
            case ListOf l -> l.items();
            case Struct s -> UNKNOWN;
            case Scalar s -> UNKNOWN;
            case Unknown u -> UNKNOWN;
        };
    }
}
