package io.kubeha.security;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The configuration files kube-apiserver takes (EncryptionConfiguration, audit Policy): YAML or JSON, one-line errors. */
public final class ConfigFiles {
    private ConfigFiles() {}

    /**
     * The document in {@code file}, JSON when it starts with '{', else YAML.
     *
     * @param what what the file holds, for the message when it cannot be read ("the audit policy")
     * @throws IllegalArgumentException naming the file, when it cannot be read or parsed
     */
    public static JsonNode read(Path file, String what) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read " + what + ": " + e.getMessage(), e);
        }
        try {
            return text.stripLeading().startsWith("{")
                    ? JsonMapper.builder().build().readTree(text)
                    : YAMLMapper.builder().build().readTree(text);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": not valid YAML or JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        }
    }

    /** A one-line error about {@code field} of {@code file} ("" for the file as a whole). */
    public static IllegalArgumentException error(Path file, String field, String message) {
        return new IllegalArgumentException(file + ": " + (field.isEmpty() ? "" : field + ": ") + message);
    }

    /**
     * The document, which must be an object.
     *
     * @param expected what it should be, for the message ("an EncryptionConfiguration")
     */
    public static JsonNode object(Path file, JsonNode doc, String expected) {
        if (doc == null || doc.isMissingNode() || doc.isNull()) throw error(file, "", "the file is empty; expected " + expected);
        if (!doc.isObject()) throw error(file, "", "expected " + expected + " object");
        return doc;
    }
}
