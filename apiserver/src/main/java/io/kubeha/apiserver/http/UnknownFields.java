package io.kubeha.apiserver.http;

import io.fabric8.kubernetes.api.model.KubernetesResource;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Finds the fields of a decoded object that its type does not know: the fabric8 model keeps them in each
 * object's {@code additionalProperties}, which is how unknown fields survive; this walk names them by their
 * path ({@code spec.template.spec.containers[0].imagePullPolicyy}) for fieldValidation.
 */
final class UnknownFields {
    private UnknownFields() {}

    static void collect(Object value, String path, List<String> out) {
        if (value == null) return;
        if (value instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) collect(item, path + "[" + i++ + "]", out);
            return;
        }
        if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() instanceof KubernetesResource) collect(e.getValue(), path + "[" + e.getKey() + "]", out);
            }
            return;
        }
        if (!(value instanceof KubernetesResource)) return;
        // free-form by design: their additionalProperties are their content, not unknown fields
        if (value instanceof io.fabric8.kubernetes.api.model.FieldsV1 || value instanceof io.fabric8.kubernetes.api.model.runtime.RawExtension) return;
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || getter.getDeclaringClass() == Object.class) continue;
            String name = getter.getName();
            try {
                if (name.equals("getAdditionalProperties")) {
                    Object extra = getter.invoke(value);
                    if (extra instanceof Map<?, ?> m) {
                        for (Object key : m.keySet()) out.add(path.isEmpty() ? key.toString() : path + "." + key);
                    }
                } else if (name.startsWith("get") && name.length() > 3) {
                    Class<?> rt = getter.getReturnType();
                    if (KubernetesResource.class.isAssignableFrom(rt) || Collection.class.isAssignableFrom(rt) || Map.class.isAssignableFrom(rt)) {
                        String field = Character.toLowerCase(name.charAt(3)) + name.substring(4);
                        com.fasterxml.jackson.annotation.JsonProperty jp = fieldAnnotation(value.getClass(), field);
                        if (jp != null && !jp.value().isEmpty()) field = jp.value();
                        collect(getter.invoke(value), path.isEmpty() ? field : path + "." + field, out);
                    }
                }
            } catch (ReflectiveOperationException ignored) {
                // a getter that cannot be read has nothing to report
            }
        }
    }

    private static com.fasterxml.jackson.annotation.JsonProperty fieldAnnotation(Class<?> type, String field) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            try {
                return c.getDeclaredField(field).getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
            } catch (NoSuchFieldException ignored) {
                // try the superclass
            }
        }
        return null;
    }
}
