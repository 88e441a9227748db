package io.kubeha.apiserver.rules;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class NamesTest {
    static final String LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
            + "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
            + "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    @ParameterizedTest
    @ValueSource(strings = {"a", "abc", "a-b", "0a", "a0", "123"})
    void validDnsLabels(String v) {
        assertThat(Names.dns1123Label(v)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"A", "-a", "a-", "a_b", "", "a b"})
    void invalidDnsLabels(String v) {
        assertThat(Names.dns1123Label(v)).containsExactly(LABEL_MSG);
    }

    @org.junit.jupiter.api.Test
    void dnsLabelWithDotsSaysSo() {
        assertThat(Names.dns1123Label("a.b")).containsExactly("must not contain dots");
        assertThat(Names.dns1123Label("a".repeat(64))).containsExactly("must be no more than 63 characters");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "app|",
            "example.com/app|",
            "a/b/c|a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            "/app|prefix part must be non-empty",
            "Example.com/app|prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            "-app|name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    })
    void qualifiedNames(String v, String msg) {
        if (msg == null) assertThat(Names.qualifiedName(v)).isEmpty();
        else assertThat(Names.qualifiedName(v)).containsExactly(msg);
    }

    @org.junit.jupiter.api.Test
    void longLabelNamesAndValuesCountBytes() {
        assertThat(Names.qualifiedName("a".repeat(64))).containsExactly("name part must be no more than 63 bytes");
        assertThat(Names.labelValue("a".repeat(64))).containsExactly("must be no more than 63 bytes");
        assertThat(Names.labelValue("")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "http|", "h2c|",
            "Ab|must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "80|must contain at least one letter (a-z)",
            "a--b|must not contain consecutive hyphens",
            "-ab|must not begin or end with a hyphen",
            "abcdefghijklmnop|must be no more than 15 characters",
    })
    void portNames(String v, String msg) {
        if (msg == null) assertThat(Names.portName(v)).isEmpty();
        else assertThat(Names.portName(v)).containsExactly(msg);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "key.name|", "KEY_NAME|", "..a|must not start with '..'", ".|must not be '.'",
            "a b|a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    })
    void configMapKeys(String v, String msg) {
        if (msg == null) assertThat(Names.configMapKey(v)).isEmpty();
        else assertThat(Names.configMapKey(v)).containsExactly(msg);
    }

    @ParameterizedTest
    @CsvSource({"10.0.0.1,true", "::1,true", "2001:db8::ffff,true", "127.34.0.5,true", "256.1.1.1,false",
            "10.0.0,false", "example.com,false", "'',false", "1.2.3.4.5,false"})
    void ipLiterals(String v, boolean ok) {
        assertThat(Names.parseIp(v) != null).isEqualTo(ok);
    }

    @org.junit.jupiter.api.Test
    void goQuoting() {
        assertThat(Go.quote("a\"b\\c\n")).isEqualTo("\"a\\\"b\\\\c\\n\"");
        assertThat(Go.stringMap(java.util.Map.of("b", "2", "a", "1"))).isEqualTo("map[string]string{\"a\":\"1\", \"b\":\"2\"}");
        assertThat(Go.stringMap(null)).isEqualTo("map[string]string(nil)");
    }
}
