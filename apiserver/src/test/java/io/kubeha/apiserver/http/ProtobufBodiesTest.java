package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.rules.CsrRules;
import io.kubeha.apiserver.api.Json;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The protobuf CSR decoder, on messages written field by field here, and the requestor hook. */
class ProtobufBodiesTest {
    static final class W {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        W varint(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        W bytes(int field, byte[] b) {
            varint((long) field << 3 | 2).varint(b.length);
            out.writeBytes(b);
            return this;
        }

        W str(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        W msg(int field, W m) {
            return bytes(field, m.out.toByteArray());
        }

        W num(int field, long v) {
            return varint((long) field << 3).varint(v);
        }
    }

    static byte[] envelope(W csr) {
        W unknown = new W().msg(1, new W().str(1, "certificates.k8s.io/v1").str(2, "CertificateSigningRequest")).msg(2, csr);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x6b, 0x38, 0x73, 0x00});
        b.writeBytes(unknown.out.toByteArray());
        return b.toByteArray();
    }

    @Test
    void decodesMetadataSpecAndStatus() {
        W meta = new W().str(1, "c1").str(5, "uid-1").str(6, "42").msg(8, new W().num(1, 1_700_000_000L).num(2, 0))
                .msg(11, new W().str(1, "app").str(2, "x"))
                .msg(17, new W().str(1, "kubectl")); // managedFields: skipped
        W spec = new W().bytes(1, "PEM".getBytes(StandardCharsets.UTF_8)).str(5, "client auth").str(5, "digital signature")
                .str(7, "example.com/s").num(8, 86400).str(2, "alice").str(4, "devs")
                .msg(6, new W().str(1, "k").msg(2, new W().str(1, "v1").str(1, "v2")));
        W status = new W().msg(1, new W().str(1, "Approved").str(6, "True").str(2, "KubectlApprove")
                .msg(4, new W().num(1, 1_700_000_100L)).msg(5, new W()));
        ObjectNode o = ProtobufBodies.decode(envelope(new W().msg(1, meta).msg(2, spec).msg(3, status)), "CertificateSigningRequest");
        assertThat(o.path("apiVersion").asString()).isEqualTo("certificates.k8s.io/v1");
        assertThat(o.path("metadata").toString()).isEqualTo(
                "{\"name\":\"c1\",\"uid\":\"uid-1\",\"resourceVersion\":\"42\",\"creationTimestamp\":\"2023-11-14T22:13:20Z\",\"labels\":{\"app\":\"x\"}}");
        assertThat(o.path("spec").path("request").asString()).isEqualTo("UEVN");
        assertThat(o.path("spec").path("usages").toString()).isEqualTo("[\"client auth\",\"digital signature\"]");
        assertThat(o.path("spec").path("expirationSeconds").asInt()).isEqualTo(86400);
        assertThat(o.path("spec").path("extra").toString()).isEqualTo("{\"k\":[\"v1\",\"v2\"]}");
        assertThat(o.path("status").path("conditions").toString()).isEqualTo(
                "[{\"type\":\"Approved\",\"status\":\"True\",\"reason\":\"KubectlApprove\",\"lastUpdateTime\":\"2023-11-14T22:15:00Z\"}]");
    }

    @Test
    void refusesWhatItCannotRead() {
        assertThatThrownBy(() -> ProtobufBodies.decode("{}".getBytes(StandardCharsets.UTF_8), "CertificateSigningRequest"))
                .isInstanceOf(ApiException.class).hasMessageContaining("envelope");
        byte[] truncated = envelope(new W().msg(1, new W().str(1, "c1")));
        truncated[truncated.length - 1] = (byte) 0x80;
        assertThatThrownBy(() -> ProtobufBodies.decode(java.util.Arrays.copyOf(truncated, truncated.length - 3), "CertificateSigningRequest"))
                .isInstanceOf(ApiException.class);
        assertThat(ProtobufBodies.supports("Pod")).isFalse();
    }

    @Test
    void setRequestorReplacesWhatTheClientSent() {
        ObjectNode csr = (ObjectNode) Json.MAPPER.readTree("{\"spec\":{\"username\":\"forged\",\"groups\":[\"system:masters\"],\"request\":\"x\"}}");
        CsrRules.setRequestor(csr, "system:node:n1", "u-1", List.of("system:nodes", "system:authenticated"), Map.of("scopes", List.of("a")));
        assertThat(csr.path("spec").toString()).isEqualTo("{\"request\":\"x\",\"username\":\"system:node:n1\",\"uid\":\"u-1\","
                + "\"groups\":[\"system:nodes\",\"system:authenticated\"],\"extra\":{\"scopes\":[\"a\"]}}");
        CsrRules.setRequestor(csr, "anonymous", null, null, null);
        assertThat(csr.path("spec").toString()).isEqualTo("{\"request\":\"x\",\"username\":\"anonymous\"}");
    }
}
