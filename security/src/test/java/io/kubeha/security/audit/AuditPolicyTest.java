package io.kubeha.security.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeha.security.audit.AuditPolicy.Level;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AuditPolicyTest {
    @TempDir
    Path dir;

    AuditPolicy policy;

    Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    /** Shaped like the example policy of kube's "Auditing" page. */
    @BeforeEach
    void loadExample() throws IOException {
        policy = AuditPolicy.load(write("policy.yaml", """
                apiVersion: audit.k8s.io/v1 # This is required.
                kind: Policy
                # Don't generate audit events for all requests in RequestReceived stage.
                omitStages:
                  - "RequestReceived"
                rules:
                  # Log pod changes at RequestResponse level
                  - level: RequestResponse
                    resources:
                    - group: ""
                      # Resource "pods" doesn't match requests to any subresource of pods,
                      # which is consistent with the RBAC policy.
                      resources: ["pods"]
                  # Log "pods/log", "pods/status" at Metadata level
                  - level: Metadata
                    resources:
                    - group: ""
                      resources: ["pods/log", "pods/status"]
                  # Don't log requests to a configmap called "controller-leader"
                  - level: None
                    resources:
                    - group: ""
                      resources: ["configmaps"]
                      resourceNames: ["controller-leader"]
                  # Don't log watch requests by the "system:kube-proxy" on endpoints or services
                  - level: None
                    users: ["system:kube-proxy"]
                    verbs: ["watch"]
                    resources:
                    - group: "" # core API group
                      resources: ["endpoints", "services"]
                  # Don't log authenticated requests to certain non-resource URL paths.
                  - level: None
                    userGroups: ["system:authenticated"]
                    nonResourceURLs:
                    - "/api*" # Wildcard matching.
                    - "/version"
                  # Log the request body of configmap changes in kube-system.
                  - level: Request
                    resources:
                    - group: "" # core API group
                      resources: ["configmaps"]
                    # This rule only applies to resources in the "kube-system" namespace.
                    # The empty string "" can be used to select non-namespaced resources.
                    namespaces: ["kube-system"]
                  # Log configmap and secret changes in all other namespaces at the Metadata level.
                  - level: Metadata
                    resources:
                    - group: "" # core API group
                      resources: ["secrets", "configmaps"]
                  # Log all other resources in core and extensions at the Request level.
                  - level: Request
                    resources:
                    - group: "" # core API group
                    - group: "extensions" # Version of group should NOT be included.
                  # Everything the kubelet's node user does elsewhere: Metadata
                  - level: Metadata
                    users: ["system:node:n1"]
                  # A catch-all rule to log all other requests at the Metadata level.
                  - level: Metadata
                    # Long-running requests like watches that fall under this rule will not
                    # generate an audit event in RequestReceived.
                    omitStages:
                      - "RequestReceived"
                """));
    }

    Level level(Requests r) {
        return policy.levelFor(r.build());
    }

    @Test
    void firstMatchingRuleWinsAcrossResources() {
        assertThat(level(Requests.create())).isEqualTo(Level.REQUEST_RESPONSE);
        assertThat(level(Requests.create().verb("get").sub("log"))).isEqualTo(Level.METADATA);
        assertThat(level(Requests.create().verb("update").sub("status"))).isEqualTo(Level.METADATA);
        assertThat(level(Requests.create().verb("create").sub("eviction"))).as("pods/eviction: core group rule")
                .isEqualTo(Level.REQUEST);
        assertThat(level(Requests.create().resource("", "configmaps", "kube-system", "controller-leader")))
                .isEqualTo(Level.NONE);
        assertThat(level(Requests.create().resource("", "configmaps", "kube-system", "other")))
                .isEqualTo(Level.REQUEST);
        assertThat(level(Requests.create().resource("", "configmaps", "default", "other")))
                .isEqualTo(Level.METADATA);
        assertThat(level(Requests.create().resource("", "secrets", "kube-system", "token")))
                .isEqualTo(Level.METADATA);
        assertThat(level(Requests.create().resource("", "nodes", "", "n1"))).isEqualTo(Level.REQUEST);
        assertThat(level(Requests.create().resource("apps", "deployments", "default", "web")))
                .isEqualTo(Level.METADATA);
    }

    @Test
    void usersAndVerbsMustBothMatch() {
        Requests proxyWatch = Requests.create().user("system:kube-proxy", "system:authenticated").verb("watch")
                .resource("", "endpoints", "default", null);
        assertThat(level(proxyWatch)).isEqualTo(Level.NONE);
        assertThat(level(proxyWatch.verb("list"))).isEqualTo(Level.REQUEST);
        assertThat(level(Requests.create().user("bob", "system:authenticated").verb("watch")
                .resource("", "services", "default", null))).isEqualTo(Level.REQUEST);
    }

    @Test
    void nonResourceUrlsMatchPathsAndPrefixesForTheGroup() {
        assertThat(level(Requests.create().nonResource("/apis/apps/v1?timeout=32s"))).isEqualTo(Level.NONE);
        assertThat(level(Requests.create().nonResource("/api"))).isEqualTo(Level.NONE);
        assertThat(level(Requests.create().nonResource("/version"))).isEqualTo(Level.NONE);
        assertThat(level(Requests.create().nonResource("/healthz"))).isEqualTo(Level.METADATA);
        assertThat(level(Requests.create().nonResource("/versions"))).as("no prefix without *").isEqualTo(Level.METADATA);
        assertThat(level(Requests.create().user("system:anonymous", "system:unauthenticated").nonResource("/version")))
                .as("not in system:authenticated").isEqualTo(Level.METADATA);
    }

    @Test
    void aUsersRuleCatchesWhatEarlierRulesLeft() {
        assertThat(level(Requests.create().user("system:node:n1", "system:nodes")
                .resource("coordination.k8s.io", "leases", "kube-node-lease", "n1"))).isEqualTo(Level.METADATA);
    }

    @Test
    void noRuleMatchingIsNone() throws IOException {
        AuditPolicy onlyAlice = AuditPolicy.load(write("alice.yaml", """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                rules:
                  - level: RequestResponse
                    users: [alice]
                """));
        assertThat(onlyAlice.levelFor(Requests.create().build())).isEqualTo(Level.REQUEST_RESPONSE);
        assertThat(onlyAlice.levelFor(Requests.create().user("bob").build())).isEqualTo(Level.NONE);
    }

    @Test
    void wildcardResourcesAndNamespacesForClusterScoped() throws IOException {
        AuditPolicy p = AuditPolicy.load(write("wild.yaml", """
                {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [
                  {"level": "None", "resources": [{"group": "", "resources": ["*/status"]}]},
                  {"level": "Request", "resources": [{"group": "apps", "resources": ["deployments/*"]}]},
                  {"level": "RequestResponse", "namespaces": [""]},
                  {"level": "Metadata", "resources": [{"group": "apps", "resources": ["*"]}]}
                ]}
                """));
        assertThat(p.levelFor(Requests.create().resource("", "nodes", "", "n1").sub("status").build())).isEqualTo(Level.NONE);
        assertThat(p.levelFor(Requests.create().resource("apps", "deployments", "d", "x").sub("scale").build()))
                .isEqualTo(Level.REQUEST);
        assertThat(p.levelFor(Requests.create().resource("apps", "deployments", "d", "x").build()))
                .as("deployments/* matches the resource itself too, as kube's checker does").isEqualTo(Level.REQUEST);
        assertThat(p.levelFor(Requests.create().resource("", "namespaces", "", "x").build())).isEqualTo(Level.REQUEST_RESPONSE);
        assertThat(p.levelFor(Requests.create().resource("apps", "statefulsets", "d", "x").build())).isEqualTo(Level.METADATA);
        assertThat(p.levelFor(Requests.create().nonResource("/healthz").build())).as("namespaces rules are for resources")
                .isEqualTo(Level.NONE);
    }

    @Test
    void omittingResponseCompleteWritesNothing() throws IOException {
        AuditPolicy p = AuditPolicy.load(write("omit.yaml", """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                rules:
                  - level: Metadata
                    verbs: [watch]
                    omitStages: [ResponseComplete]
                  - level: Metadata
                """));
        assertThat(p.decide(Requests.create().verb("watch").build()).level()).isEqualTo(Level.NONE);
        assertThat(p.decide(Requests.create().build()).level()).isEqualTo(Level.METADATA);
    }

    @Test
    void metadataForAllIsTheDefault() {
        AuditPolicy p = AuditPolicy.metadataForAll();
        assertThat(p.levelFor(Requests.create().build())).isEqualTo(Level.METADATA);
        assertThat(p.levelFor(Requests.create().nonResource("/healthz").build())).isEqualTo(Level.METADATA);
    }

    static Stream<Arguments> mistakes() {
        String head = "apiVersion: audit.k8s.io/v1\nkind: Policy\n";
        return Stream.of(
                Arguments.of("", "the file is empty"),
                Arguments.of("apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: [{level: None}]\n",
                        "apiVersion: must be audit.k8s.io/v1, got 'audit.k8s.io/v1beta1'"),
                Arguments.of("apiVersion: audit.k8s.io/v1\nkind: Event\n", "kind: must be Policy, got 'Event'"),
                Arguments.of(head, "rules: a policy needs at least one rule"),
                Arguments.of(head + "rules:\n  - users: [alice]\n", "rules[0].level: is required"),
                Arguments.of(head + "rules:\n  - level: Metadata\n  - level: metadata\n",
                        "rules[1].level: unknown level 'metadata'"),
                Arguments.of(head + "rules:\n  - level: Metadata\n    verb: [get]\n", "rules[0].verb: unknown field"),
                Arguments.of(head + "rules:\n  - level: Metadata\n    users: alice\n", "rules[0].users: must be a list of strings"),
                Arguments.of(head + "rules:\n  - level: Metadata\n    namespaces: [default]\n    nonResourceURLs: [/healthz]\n",
                        "rules[0]: rules cannot apply to both regular resources and non-resource URLs"),
                Arguments.of(head + "rules:\n  - level: Metadata\n    nonResourceURLs: [healthz]\n",
                        "rules[0].nonResourceURLs[0]: non-resource URL 'healthz' must begin with a '/'"),
                Arguments.of(head + "rules:\n  - level: Metadata\n    nonResourceURLs: ['/api/*/x']\n",
                        "a wildcard '*' must be the final character"),
                Arguments.of(head + "rules:\n  - level: Metadata\n    resources: [{group: '', resourceNames: [x]}]\n",
                        "rules[0].resources[0].resourceNames: using resourceNames requires at least one resource"),
                Arguments.of(head + "rules:\n  - level: Metadata\n    omitStages: [Done]\n",
                        "rules[0].omitStages[0]: unknown stage 'Done'"),
                Arguments.of(head + "omitManagedFields: yes please\nrules:\n  - level: Metadata\n",
                        "omitManagedFields: must be true or false"),
                Arguments.of("rules: [\n", "not valid YAML or JSON"));
    }

    @ParameterizedTest
    @MethodSource("mistakes")
    void everyMistakeIsOneLineNamingTheFileAndField(String content, String message) throws IOException {
        Path file = write("bad.yaml", content);
        assertThatThrownBy(() -> AuditPolicy.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
