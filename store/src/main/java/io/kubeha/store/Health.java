package io.kubeha.store;

/** @param healthy whether the store serves reads and writes; {@code detail} says what is wrong when not */
public record Health(boolean healthy, String detail) {
    public static Health ok(String detail) {
        return new Health(true, detail);
    }

    public static Health failing(String detail) {
        return new Health(false, detail);
    }
}
