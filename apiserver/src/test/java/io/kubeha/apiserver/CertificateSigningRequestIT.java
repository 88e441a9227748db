package io.kubeha.apiserver;

import io.kubeha.apiserver.api.Json;
import io.kubeha.testkit.Kubectl;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * certificates.k8s.io/v1 CertificateSigningRequests with the real kubectl: a PKCS#10 request made with
 * BouncyCastle (EC P-256, CN system:node:NAME, O system:nodes) applied, listed, approved and denied with
 * {@code kubectl certificate} (1.27 and 1.33), issued through the status subresource; and kube's validation of
 * the request, the signer name, usages, conditions and certificate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CertificateSigningRequestIT {
    static final String CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
    static final String KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet";

    ApiServerFixture api;
    Kubectl newest;
    Kubectl oldest;
    Path tmp;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        api = new ApiServerFixture();
        // kubectl 1.32+ sends approve/deny as protobuf, which the server does not decode yet (issue 12: generated
        // messages, not a hand-written codec): the newest kubectl that sends JSON
        newest = api.kubectl(java.nio.file.Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.31"));
        oldest = api.kubectl(Kubectl.OLDEST);
        tmp = Files.createTempDirectory("csr-it");
    }

    @AfterAll
    void stop() throws Exception {
        if (api != null) api.close();
    }

    record Answer(int code, JsonNode body) {}

    Answer call(String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(api.url + path)).timeout(Duration.ofSeconds(30));
        if (body == null) r.method(method, HttpRequest.BodyPublishers.noBody());
        else r.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(resp.statusCode(), Json.MAPPER.readTree(resp.body()));
    }

    static List<String> causes(Answer a) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : a.body().path("details").path("causes")) {
            out.add(c.path("field").asString() + " " + c.path("reason").asString() + " " + c.path("message").asString());
        }
        return out;
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** A node's client certificate request, PEM. */
    static String nodeRequest(String node) throws Exception {
        KeyPair key = ecKey();
        var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("O=system:nodes,CN=system:node:" + node), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));
        return pem("CERTIFICATE REQUEST", csr.getEncoded());
    }

    /** A self-signed certificate, PEM: what a signer would put in status.certificate. */
    static String certificate(String cn) throws Exception {
        KeyPair key = ecKey();
        Instant now = Instant.now();
        var cert = new JcaX509v3CertificateBuilder(new X500Name("CN=" + cn), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), new X500Name("CN=" + cn), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));
        return pem("CERTIFICATE", new JcaX509CertificateConverter().getCertificate(cert).getEncoded());
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String csrYaml(String name, String requestPem) {
        return """
                apiVersion: certificates.k8s.io/v1
                kind: CertificateSigningRequest
                metadata:
                  name: %s
                spec:
                  request: %s
                  signerName: %s
                  expirationSeconds: 86400
                  usages: [digital signature, client auth]
                """.formatted(name, b64(requestPem), KUBELET_CLIENT);
    }

    String applied(Kubectl k, String node) throws Exception {
        String name = "node-csr-" + node;
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, csrYaml(name, nodeRequest(node)));
        assertThat(k.run("apply", "-f", f.toString()).orFail().out())
                .contains("certificatesigningrequest.certificates.k8s.io/" + name + " created");
        return name;
    }

    static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/lib/google-cloud-sdk/bin/kubectl.1.31", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"}) // 1.32+: protobuf
    void appliedListedApprovedAndIssued(String binary) throws Exception {
        Kubectl k = api.kubectl(Path.of(binary));
        String name = applied(newest, "n1-" + unique());

        String table = k.run("get", "csr").orFail().out();
        assertThat(table.lines().findFirst().orElseThrow()).matches("NAME\\s+AGE\\s+SIGNERNAME\\s+REQUESTOR\\s+REQUESTEDDURATION\\s+CONDITION");
        assertThat(table).containsPattern(name + "\\s+\\d+s\\s+" + KUBELET_CLIENT + "\\s+24h\\s+Pending");

        assertThat(k.run("certificate", "approve", name).orFail().out())
                .contains("certificatesigningrequest.certificates.k8s.io/" + name + " approved");
        assertThat(k.run("get", "csr", name).orFail().out()).containsPattern(name + "\\s+\\S+\\s+" + KUBELET_CLIENT + "\\s+24h\\s+Approved\\s*$");
        JsonNode csr = Json.MAPPER.readTree(k.run("get", "csr", name, "-o", "json").orFail().out());
        JsonNode approved = csr.path("status").path("conditions").get(0);
        assertThat(approved.path("type").asString()).isEqualTo("Approved");
        assertThat(approved.path("status").asString()).isEqualTo("True");
        assertThat(approved.path("reason").asString()).isEqualTo("KubectlApprove");
        assertThat(approved.path("lastUpdateTime").asString()).isNotEmpty();
        assertThat(approved.path("lastTransitionTime").asString()).isNotEmpty();
        // approving again is a no-op for kubectl
        assertThat(k.run("certificate", "approve", name).exit()).isZero();

        // the signer writes the certificate through the status subresource
        ObjectNode issued = (ObjectNode) csr.deepCopy();
        ((ObjectNode) issued.path("status")).put("certificate", b64(certificate("system:node:n1")));
        Answer put = call("PUT", CSRS + "/" + name + "/status", issued.toString());
        assertThat(put.code()).isEqualTo(200);
        assertThat(put.body().path("status").path("conditions").get(0).path("type").asString()).isEqualTo("Approved");
        assertThat(k.run("get", "csr", name).orFail().out()).contains("Approved,Issued");
        assertThat(k.run("get", "csr", name, "-o", "jsonpath={.status.certificate}").orFail().out()).isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/lib/google-cloud-sdk/bin/kubectl.1.31", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"}) // 1.32+: protobuf
    void deniedWithKubectl(String binary) throws Exception {
        Kubectl k = api.kubectl(Path.of(binary));
        String name = applied(oldest, "n2-" + unique());
        assertThat(k.run("certificate", "deny", name).orFail().out())
                .contains("certificatesigningrequest.certificates.k8s.io/" + name + " denied");
        assertThat(k.run("get", "csr", name).orFail().out()).containsPattern(name + ".*\\s+Denied\\s*$");
        // Approved and Denied exclude each other
        JsonNode csr = call("GET", CSRS + "/" + name, null).body();
        ((ArrayNode) csr.path("status").path("conditions")).addObject().put("type", "Approved").put("status", "True");
        Answer both = call("PUT", CSRS + "/" + name + "/approval", csr.toString());
        assertThat(both.code()).isEqualTo(422);
        assertThat(causes(both)).containsExactly("status.conditions[1].type FieldValueInvalid Invalid value: \"Approved\": "
                + "Approved and Denied conditions are mutually exclusive");
    }

    @Test
    void subresourcesChangeOnlyWhatTheirStrategyAllows() throws Exception {
        String name = applied(newest, "n3-" + unique());
        JsonNode created = call("GET", CSRS + "/" + name, null).body();

        // status may not approve
        ObjectNode approve = (ObjectNode) created.deepCopy();
        approve.putObject("status").putArray("conditions").addObject().put("type", "Approved").put("status", "True");
        Answer viaStatus = call("PUT", CSRS + "/" + name + "/status", approve.toString());
        assertThat(viaStatus.code()).isEqualTo(422);
        assertThat(causes(viaStatus)).containsExactly(
                "status.conditions FieldValueForbidden Forbidden: updates may not add a condition of type \"Approved\"");

        // approval may not issue: the certificate it sends is dropped
        ObjectNode approveAndIssue = approve.deepCopy();
        ((ObjectNode) approveAndIssue.path("status")).put("certificate", b64(certificate("x")));
        Answer approval = call("PUT", CSRS + "/" + name + "/approval", approveAndIssue.toString());
        assertThat(approval.code()).isEqualTo(200);
        assertThat(approval.body().path("status").has("certificate")).isFalse();
        assertThat(approval.body().path("status").path("conditions").get(0).path("lastUpdateTime").asString()).isNotEmpty();

        // conditions may not be removed, through either
        ObjectNode none = (ObjectNode) approval.body().deepCopy();
        ((ObjectNode) none.path("status")).putArray("conditions");
        Answer removed = call("PUT", CSRS + "/" + name + "/approval", none.toString());
        assertThat(causes(removed)).containsExactly(
                "status.conditions FieldValueForbidden Forbidden: updates may not remove a condition of type \"Approved\"");

        // status.certificate: PEM CERTIFICATE blocks, set once
        ObjectNode garbage = (ObjectNode) approval.body().deepCopy();
        ((ObjectNode) garbage.path("status")).put("certificate", b64("not a certificate"));
        Answer bad = call("PUT", CSRS + "/" + name + "/status", garbage.toString());
        assertThat(causes(bad)).containsExactly("status.certificate FieldValueInvalid Invalid value: \"<certificate data>\": "
                + "must contain at least one CERTIFICATE PEM block");
        ObjectNode key = (ObjectNode) approval.body().deepCopy();
        ((ObjectNode) key.path("status")).put("certificate", b64(pem("PRIVATE KEY", new byte[] {1, 2, 3})));
        assertThat(causes(call("PUT", CSRS + "/" + name + "/status", key.toString()))).containsExactly(
                "status.certificate FieldValueInvalid Invalid value: \"<certificate data>\": only CERTIFICATE PEM blocks are allowed, found \"PRIVATE KEY\"");
        ObjectNode good = (ObjectNode) approval.body().deepCopy();
        ((ObjectNode) good.path("status")).put("certificate", b64(certificate("first")));
        Answer issued = call("PUT", CSRS + "/" + name + "/status", good.toString());
        assertThat(issued.code()).isEqualTo(200);
        ObjectNode again = (ObjectNode) issued.body().deepCopy();
        ((ObjectNode) again.path("status")).put("certificate", b64(certificate("second")));
        assertThat(causes(call("PUT", CSRS + "/" + name + "/status", again.toString()))).containsExactly(
                "status.certificate FieldValueForbidden Forbidden: updates may not modify existing certificate content");

        // the object itself: spec and status are the stored ones, metadata changes
        ObjectNode main = (ObjectNode) issued.body().deepCopy();
        ((ObjectNode) main.path("spec")).put("signerName", "example.com/other");
        ((ObjectNode) main.path("status")).remove("conditions");
        ((ObjectNode) main.path("metadata")).putObject("labels").put("seen", "yes");
        Answer updated = call("PUT", CSRS + "/" + name, main.toString());
        assertThat(updated.code()).isEqualTo(200);
        assertThat(updated.body().path("spec").path("signerName").asString()).isEqualTo(KUBELET_CLIENT);
        assertThat(updated.body().path("status").path("conditions").size()).isEqualTo(1);
        assertThat(updated.body().path("metadata").path("labels").path("seen").asString()).isEqualTo("yes");
        assertThat(newest.run("get", "csr", "--field-selector", "spec.signerName=" + KUBELET_CLIENT, "-o", "name").orFail().out())
                .contains("certificatesigningrequest.certificates.k8s.io/" + name);
        assertThat(newest.run("get", "csr", "--field-selector", "spec.signerName=example.com/none", "-o", "name").orFail().out())
                .doesNotContain(name);
    }

    @Test
    void createdRequestsAreValidatedAsKubeDoes() throws Exception {
        // garbage in spec.request, through kubectl apply
        Path f = tmp.resolve("garbage.yaml");
        Files.writeString(f, csrYaml("garbage-" + unique(), "garbage"));
        Kubectl.Result refused = newest.run("apply", "-f", f.toString());
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("is invalid", "spec.request: Invalid value: []byte{0x67, 0x61, 0x72, 0x62, 0x61, 0x67, 0x65}: "
                + "PEM block type must be CERTIFICATE REQUEST");

        String ok = b64(nodeRequest("n4"));
        Answer many = call("POST", CSRS, """
                {"metadata":{"name":"bad-%s"},"spec":{"request":"%s","signerName":"nodomain/x","expirationSeconds":60,
                 "usages":["client auth","client auth","flying"]}}""".formatted(unique(), ok));
        assertThat(many.code()).isEqualTo(422);
        assertThat(many.body().path("details").path("kind").asString()).isEqualTo("CertificateSigningRequest");
        assertThat(causes(many)).containsExactly(
                "spec.usages[2] FieldValueNotSupported Unsupported value: \"flying\": supported values: \"any\", \"cert sign\", "
                        + "\"client auth\", \"code signing\", \"content commitment\", \"crl sign\", \"data encipherment\", "
                        + "\"decipher only\", \"digital signature\", \"email protection\", \"encipher only\", \"ipsec end system\", "
                        + "\"ipsec tunnel\", \"ipsec user\", \"key agreement\", \"key encipherment\", \"microsoft sgc\", "
                        + "\"netscape sgc\", \"ocsp signing\", \"s/mime\", \"server auth\", \"signing\", \"timestamping\"",
                "spec.usages[1] FieldValueDuplicate Duplicate value: \"client auth\"",
                "spec.signerName FieldValueInvalid Invalid value: \"nodomain\": should be a domain with at least two segments separated by dots",
                "spec.expirationSeconds FieldValueInvalid Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)");

        Answer missing = call("POST", CSRS, "{\"metadata\":{\"name\":\"m-" + unique() + "\"},\"spec\":{\"request\":\"" + ok + "\"}}");
        assertThat(causes(missing)).containsExactly("spec.usages FieldValueRequired Required value", "spec.signerName FieldValueRequired Required value");

        // a request whose signature does not verify
        String good = nodeRequest("n5");
        byte[] der = Base64.getMimeDecoder().decode(good.replaceAll("-----[A-Z ]+-----", ""));
        der[der.length - 5] ^= 0x01;
        Answer tampered = call("POST", CSRS, """
                {"metadata":{"name":"t-%s"},"spec":{"request":"%s","signerName":"example.com/x","usages":["any"]}}"""
                .formatted(unique(), b64(pem("CERTIFICATE REQUEST", der))));
        assertThat(tampered.code()).isEqualTo(422);
        assertThat(causes(tampered).getFirst()).startsWith("spec.request FieldValueInvalid Invalid value: []byte{0x2d, 0x2d");

        // a client cannot create an approved request: the status is dropped
        Answer preApproved = call("POST", CSRS, """
                {"metadata":{"name":"p-%s"},"spec":{"request":"%s","signerName":"example.com/x","usages":["any"]},
                 "status":{"conditions":[{"type":"Approved","status":"True"}]}}""".formatted(unique(), ok));
        assertThat(preApproved.code()).isEqualTo(201);
        assertThat(preApproved.body().path("status").path("conditions").size()).isZero();
    }

    @Test
    void discoveryAndExplain() {
        String resources = newest.run("api-resources", "--api-group=certificates.k8s.io").orFail().out();
        assertThat(resources).containsPattern("certificatesigningrequests\\s+csr\\s+certificates.k8s.io/v1\\s+false\\s+CertificateSigningRequest");
        for (Kubectl k : List.of(newest, oldest)) {
            assertThat(k.run("explain", "csr.spec").orFail().out()).contains("signerName", "request", "usages", "expirationSeconds");
            assertThat(k.run("explain", "csr.status.conditions").orFail().out()).contains("lastUpdateTime", "type");
        }
    }
}
