package io.kubeha.apiserver.patch;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import tools.jackson.databind.JsonNode;

import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.time.temporal.Temporal;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the fabric8 model by reflection: which JSON fields a class has (its {@code @JsonProperty} fields),
 * the shape of each (struct, map, list, scalar) and its patch facts from {@link Tags}. Results are cached per
 * class; the model never changes at run time.
 */
final class Schema {
    /** One JSON field of a struct. */
    record Member(String name, Shape shape, Tag tag) {}

    private static final Member UNKNOWN_MEMBER = new Member("", Shape.UNKNOWN, Tag.NONE);
    private static final Map<Class<?>, Map<String, Member>> CACHE = new ConcurrentHashMap<>();
    /** Classes fabric8 writes as a JSON scalar with its own serializer. */
    private static final Set<String> SCALAR_CLASSES = Set.of("IntOrString", "Quantity", "MicroTime", "Duration");

    private Schema() {}

    /** The shape of a whole object of this model class; {@link Shape#UNKNOWN} without a model. */
    static Shape root(Class<?> model) {
        return model == null ? Shape.UNKNOWN : shape(model);
    }

    /** The field {@code name} of an object of shape {@code parent}. */
    static Member member(Shape parent, String name) {
        return switch (parent) {
            case Shape.Struct s -> members(s.type()).getOrDefault(name, UNKNOWN_MEMBER);
            case Shape.MapOf m -> new Member(name, m.values(), Tag.NONE);
            default -> UNKNOWN_MEMBER;
        };
    }

    /** A struct that server-side apply owns as one value. */
    static boolean atomic(Shape shape) {
        return shape instanceof Shape.Struct s && Tags.atomicStruct(s.type());
    }

    static Map<String, Member> members(Class<?> type) {
        Map<String, Member> m = CACHE.get(type);
        if (m == null) {
            // Not computeIfAbsent: reading a class's members reads other classes' (Tags looks at item types),
            // and a recursive computeIfAbsent on one ConcurrentHashMap is not allowed.
            m = read(type);
            CACHE.putIfAbsent(type, m);
        }
        return m;
    }

    private static Map<String, Member> read(Class<?> type) {
        Map<String, Field> fields = new LinkedHashMap<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.isAnnotationPresent(JsonIgnore.class)) continue;
                JsonProperty p = f.getAnnotation(JsonProperty.class);
                if (p == null) continue;
                String name = p.value().isEmpty() ? f.getName() : p.value();
                fields.putIfAbsent(name, f);
            }
        }
        Map<String, Member> out = new LinkedHashMap<>();
        for (Map.Entry<String, Field> e : fields.entrySet()) {
            Shape s = shape(e.getValue().getGenericType());
            out.put(e.getKey(), new Member(e.getKey(), s, Tags.of(type, e.getKey(), s)));
        }
        return Collections.unmodifiableMap(out);
    }

    static Shape shape(Type t) {
        if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
            Type[] args = p.getActualTypeArguments();
            if (Map.class.isAssignableFrom(raw) && args.length == 2) return new Shape.MapOf(shape(args[1]));
            if (Collection.class.isAssignableFrom(raw) && args.length == 1) return new Shape.ListOf(shape(args[0]));
            return shape(raw);
        }
        if (t instanceof WildcardType w) return w.getUpperBounds().length == 1 ? shape(w.getUpperBounds()[0]) : Shape.UNKNOWN;
        if (t instanceof GenericArrayType g) return new Shape.ListOf(shape(g.getGenericComponentType()));
        if (!(t instanceof Class<?> c)) return Shape.UNKNOWN;
        if (c.isArray()) return c == byte[].class ? Shape.SCALAR : new Shape.ListOf(shape(c.getComponentType()));
        if (c.isPrimitive() || c.isEnum() || CharSequence.class.isAssignableFrom(c) || Number.class.isAssignableFrom(c)
                || c == Boolean.class || c == Character.class || Temporal.class.isAssignableFrom(c)
                || SCALAR_CLASSES.contains(c.getSimpleName())) {
            return Shape.SCALAR;
        }
        if (Map.class.isAssignableFrom(c)) return new Shape.MapOf(Shape.UNKNOWN);
        if (Collection.class.isAssignableFrom(c)) return new Shape.ListOf(Shape.UNKNOWN);
        if (c == Object.class || c.isInterface() || JsonNode.class.isAssignableFrom(c)) return Shape.UNKNOWN;
        return hasJsonFields(c) ? new Shape.Struct(c) : Shape.UNKNOWN;
    }

    private static boolean hasJsonFields(Class<?> type) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.isAnnotationPresent(JsonProperty.class)) return true;
            }
        }
        return false;
    }
}
