package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Pod;
import io.kubeha.apiserver.api.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.kubeha.apiserver.rules.Fixtures.createErrors;
import static io.kubeha.apiserver.rules.Fixtures.created;
import static io.kubeha.apiserver.rules.Fixtures.updateErrors;
import static org.assertj.core.api.Assertions.assertThat;

class PodRulesTest {
    static final String HEAD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\n";

    static String pod(String spec) {
        return HEAD + "spec:\n" + spec.indent(2);
    }

    static final String MINIMAL = pod("containers: [{name: c, image: nginx}]");

    @Test
    void defaultsAsKubeApiServerSetsThem() {
        Pod p = created(pod("""
                containers:
                - name: c
                  image: nginx
                  ports: [{containerPort: 80}]
                  resources: {limits: {cpu: 500m, memory: 64Mi}}
                  livenessProbe: {httpGet: {port: 80}}
                - name: d
                  image: registry.local:5000/app:1.2
                volumes: [{name: v}, {name: s, secret: {secretName: x}}]
                """), Pod.class);
        var s = p.getSpec();
        assertThat(s.getRestartPolicy()).isEqualTo("Always");
        assertThat(s.getDnsPolicy()).isEqualTo("ClusterFirst");
        assertThat(s.getTerminationGracePeriodSeconds()).isEqualTo(30L);
        assertThat(s.getSchedulerName()).isEqualTo("default-scheduler");
        assertThat(s.getSecurityContext()).isNotNull();
        assertThat(s.getEnableServiceLinks()).isTrue();
        assertThat(s.getPriority()).isZero();
        assertThat(s.getPreemptionPolicy()).isEqualTo("PreemptLowerPriority");
        assertThat(s.getServiceAccountName()).isEqualTo("default");
        assertThat(s.getTolerations()).extracting("key", "operator", "effect", "tolerationSeconds").containsExactly(
                org.assertj.core.groups.Tuple.tuple("node.kubernetes.io/not-ready", "Exists", "NoExecute", 300L),
                org.assertj.core.groups.Tuple.tuple("node.kubernetes.io/unreachable", "Exists", "NoExecute", 300L));
        var c = s.getContainers().get(0);
        assertThat(c.getImagePullPolicy()).isEqualTo("Always");
        assertThat(s.getContainers().get(1).getImagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(c.getTerminationMessagePath()).isEqualTo("/dev/termination-log");
        assertThat(c.getTerminationMessagePolicy()).isEqualTo("File");
        assertThat(c.getPorts().get(0).getProtocol()).isEqualTo("TCP");
        assertThat(c.getResources().getRequests()).containsOnlyKeys("cpu", "memory");
        assertThat(c.getResources().getRequests().get("cpu").toString()).isEqualTo("500m");
        var probe = c.getLivenessProbe();
        assertThat(List.of(probe.getTimeoutSeconds(), probe.getPeriodSeconds(), probe.getSuccessThreshold(), probe.getFailureThreshold()))
                .containsExactly(1, 10, 1, 3);
        assertThat(probe.getHttpGet().getScheme()).isEqualTo("HTTP");
        assertThat(probe.getHttpGet().getPath()).isEqualTo("/");
        assertThat(s.getVolumes().get(0).getEmptyDir()).isNotNull();
        assertThat(s.getVolumes().get(1).getSecret().getDefaultMode()).isEqualTo(420);
        assertThat(p.getStatus().getPhase()).isEqualTo("Pending");
        assertThat(p.getStatus().getQosClass()).isEqualTo("Burstable");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "nginx|Always", "nginx:latest|Always", "nginx:1.25|IfNotPresent", "localhost:5000/nginx|Always",
            "nginx@sha256:abc|IfNotPresent"})
    void pullPolicyFollowsTheTag(String image, String policy) {
        assertThat(PodDefaults.pullPolicy(image)).isEqualTo(policy);
    }

    @Test
    void qosClasses() {
        assertThat(created(MINIMAL, Pod.class).getStatus().getQosClass()).isEqualTo("BestEffort");
        assertThat(created(pod("containers: [{name: c, image: x, resources: {limits: {cpu: '1', memory: 1Gi}}}]"), Pod.class)
                .getStatus().getQosClass()).isEqualTo("Guaranteed");
    }

    @Test
    void defaultingIsIdempotentAndKeepsUnknownFields() {
        Pod p = created(pod("containers: [{name: c, image: x, futureField: 7}]\nfutureSpecField: {a: b}"), Pod.class);
        String once = Json.string(p);
        var r = Rules.forKind(Pod.class);
        r.applyDefaults(p);
        assertThat(Json.string(p)).isEqualTo(once);
        assertThat(once).contains("\"futureField\":7").contains("\"futureSpecField\":{\"a\":\"b\"}");
    }

    @Test
    void minimalPodIsValid() {
        assertThat(createErrors(MINIMAL, Pod.class)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // containers
            "containers: []|spec.containers: Required value",
            "containers: [{name: c}]|spec.containers[0].image: Required value",
            "containers: [{image: x}]|spec.containers[0].name: Required value",
            "containers: [{name: C, image: x}]|spec.containers[0].name: Invalid value: \"C\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            "containers: [{name: c, image: x}, {name: c, image: y}]|spec.containers[1].name: Duplicate value: \"c\"",
            "containers: [{name: c, image: ' x'}]|spec.containers[0].image: Invalid value: \" x\": must not have leading or trailing whitespace",
            "containers: [{name: c, image: x, imagePullPolicy: Sometimes}]|spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
            "containers: [{name: c, image: x, restartPolicy: Always}]|spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
            // ports
            "containers: [{name: c, image: x, ports: [{containerPort: 70000}]}]|spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "containers: [{name: c, image: x, ports: [{name: p}]}]|spec.containers[0].ports[0].containerPort: Required value",
            "containers: [{name: c, image: x, ports: [{containerPort: 80, protocol: HTTP}]}]|spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "containers: [{name: c, image: x, ports: [{containerPort: 80, name: web}, {containerPort: 81, name: web}]}]|spec.containers[0].ports[1].name: Duplicate value: \"web\"",
            "containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 80}]}, {name: d, image: x, ports: [{containerPort: 81, hostPort: 80}]}]|spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//80\"",
            // env
            "containers: [{name: c, image: x, env: [{value: v}]}]|spec.containers[0].env[0].name: Required value",
            "containers: [{name: c, image: x, env: [{name: 'A=B'}]}]|spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
            "containers: [{name: c, image: x, env: [{name: A, valueFrom: {fieldRef: {fieldPath: spec.foo}}}]}]|spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: \"spec.foo\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
            "containers: [{name: c, image: x, env: [{name: A, valueFrom: {}}]}]|spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            // volumes and mounts
            "containers: [{name: c, image: x, volumeMounts: [{name: data, mountPath: /d}]}]|spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
            "containers: [{name: c, image: x}]\\nvolumes: [{name: v}, {name: v}]|spec.volumes[1].name: Duplicate value: \"v\"",
            "containers: [{name: c, image: x}]\\nvolumes: [{name: v, emptyDir: {}, hostPath: {path: /tmp}}]|spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type",
            "containers: [{name: c, image: x, volumeMounts: [{name: v, mountPath: /d}, {name: v, mountPath: /d}]}]\\nvolumes: [{name: v}]|spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/d\": must be unique",
            // probes
            "containers: [{name: c, image: x, livenessProbe: {periodSeconds: 5}}]|spec.containers[0].livenessProbe: Required value: must specify a handler type",
            "containers: [{name: c, image: x, readinessProbe: {exec: {command: [a]}, tcpSocket: {port: 80}}}]|spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
            "containers: [{name: c, image: x, livenessProbe: {exec: {command: [a]}, successThreshold: 2}}]|spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
            "containers: [{name: c, image: x, readinessProbe: {httpGet: {port: 0}}}]|spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
            // resources
            "containers: [{name: c, image: x, resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}}]|spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
            "containers: [{name: c, image: x, resources: {requests: {gpu: '1'}}}]|spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
            "containers: [{name: c, image: x, resources: {requests: {memory: '-1'}}}]|spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater than or equal to 0",
            // pod fields
            "containers: [{name: c, image: x}]\\nrestartPolicy: Sometimes|spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
            "containers: [{name: c, image: x}]\\ndnsPolicy: Google|spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
            "containers: [{name: c, image: x}]\\ndnsPolicy: None|spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None",
            "containers: [{name: c, image: x}]\\nnodeSelector: {'disk type': ssd}|spec.nodeSelector: Invalid value: \"disk type\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            "containers: [{name: c, image: x}]\\nactiveDeadlineSeconds: 0|spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
            "containers: [{name: c, image: x}]\\ntolerations: [{operator: Equal, value: v}]|spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            "containers: [{name: c, image: x}]\\ntolerations: [{key: k, operator: Exists, value: v}]|spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
            "containers: [{name: c, image: x}]\\ntolerations: [{key: k, effect: NoSchedule, tolerationSeconds: 5}]|spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
            "containers: [{name: c, image: x}]\\ntolerations: [{key: k, effect: Never}]|spec.tolerations[0].effect: Unsupported value: \"Never\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
            "containers: [{name: c, image: x}]\\naffinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}|spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term",
            "containers: [{name: c, image: x}]\\naffinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: k, operator: In}]}]}}}|spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "containers: [{name: c, image: x}]\\naffinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 101, podAffinityTerm: {topologyKey: kubernetes.io/hostname}}]}}|spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 101: must be in the range 1-100",
            // init containers
            "containers: [{name: c, image: x}]\\ninitContainers: [{name: c, image: y}]|spec.initContainers[0].name: Duplicate value: \"c\"",
            "containers: [{name: c, image: x}]\\ninitContainers: [{name: i, image: y, readinessProbe: {exec: {command: [a]}}}]|spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
            "containers: [{name: c, image: x}]\\ninitContainers: [{name: i, image: y, restartPolicy: OnFailure}]|spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
    })
    void oneErrorEach(String spec, String error) {
        assertThat(createErrors(pod(spec.replace("\\n", "\n")), Pod.class)).containsExactly(error);
    }

    @Test
    void hostNetworkMakesContainerPortsHostPorts() {
        Pod p = created(pod("hostNetwork: true\ncontainers: [{name: c, image: x, ports: [{containerPort: 8080}]}]"), Pod.class);
        assertThat(p.getSpec().getContainers().get(0).getPorts().get(0).getHostPort()).isEqualTo(8080);
        assertThat(Rules.forKind(Pod.class).validateCreate(p)).isEmpty();
    }

    @Test
    void updatesMayChangeImagesAndAddTolerations() {
        Pod old = created(pod("containers: [{name: c, image: nginx:1}]"), Pod.class);
        Pod now = Fixtures.copy(old);
        now.getSpec().getContainers().get(0).setImage("nginx:2");
        var t = new io.fabric8.kubernetes.api.model.Toleration();
        t.setKey("dedicated");
        t.setOperator("Exists");
        now.getSpec().getTolerations().add(t);
        assertThat(Fixtures.updateErrors(old, now)).isEmpty();
    }

    @Test
    void aPutWithoutTheFieldsAdmissionSetIsAChangeAsInKube() {
        // kube's admission (ServiceAccount, Priority, DefaultTolerationSeconds) runs on create only
        String before = pod("containers: [{name: c, image: nginx:1}]");
        assertThat(updateErrors(before, pod("containers: [{name: c, image: nginx:2}]"), Pod.class))
                .contains("spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds");
    }

    @Test
    void otherSpecChangesAreForbidden() {
        String before = pod("containers: [{name: c, image: nginx}]");
        String after = pod("containers: [{name: c, image: nginx}]\nrestartPolicy: Never\nserviceAccountName: default\npriority: 0\n"
                + "preemptionPolicy: PreemptLowerPriority\ntolerations: [{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, "
                + "tolerationSeconds: 300}, {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}]");
        List<String> errs = updateErrors(before, after, Pod.class);
        assertThat(errs).singleElement().asString()
                .startsWith("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                        + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                        + "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n")
                .contains("- spec.restartPolicy: \"Always\"", "+ spec.restartPolicy: \"Never\"");
    }

    @Test
    void containersCannotBeAddedOrRemoved() {
        assertThat(updateErrors(MINIMAL, pod("containers: [{name: c, image: nginx}, {name: d, image: nginx}]"), Pod.class))
                .containsExactly("spec.containers: Forbidden: pod updates may not add or remove containers");
    }

    @Test
    void removingAnExistingTolerationIsForbidden() {
        assertThat(updateErrors(MINIMAL, MINIMAL.replace("image: nginx}]", "image: nginx}]\ntolerations: []"), Pod.class))
                .contains("spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds");
    }

    @Test
    void activeDeadlineMayOnlyShrink() {
        String before = pod("containers: [{name: c, image: nginx}]\nactiveDeadlineSeconds: 10");
        assertThat(updateErrors(before, pod("containers: [{name: c, image: nginx}]\nactiveDeadlineSeconds: 20"), Pod.class))
                .contains("spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value");
    }

    @Test
    void updateKeepsTheStoredStatus() {
        Pod old = created(MINIMAL, Pod.class);
        old.getStatus().setPhase("Running");
        Pod now = Fixtures.yaml(MINIMAL, Pod.class);
        var r = Rules.forKind(Pod.class);
        r.applyDefaults(now);
        r.prepareForUpdate(now, old);
        assertThat(now.getStatus().getPhase()).isEqualTo("Running");
    }
}
