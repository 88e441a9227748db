package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.kubeha.apiserver.rules.Fixtures.createErrors;
import static io.kubeha.apiserver.rules.Fixtures.created;
import static io.kubeha.apiserver.rules.Fixtures.updateErrors;
import static org.assertj.core.api.Assertions.assertThat;

class WorkloadRulesTest {
    static String deployment(String spec) {
        return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n" + spec.indent(2);
    }

    static final String TEMPLATE = "template:\n  metadata: {labels: {app: web}}\n  spec: {containers: [{name: c, image: nginx}]}";
    static final String GOOD = deployment("selector: {matchLabels: {app: web}}\n" + TEMPLATE);

    @Test
    void deploymentDefaults() {
        Deployment d = created(GOOD, Deployment.class);
        var s = d.getSpec();
        assertThat(s.getReplicas()).isEqualTo(1);
        assertThat(s.getStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(s.getStrategy().getRollingUpdate().getMaxSurge().getStrVal()).isEqualTo("25%");
        assertThat(s.getStrategy().getRollingUpdate().getMaxUnavailable().getStrVal()).isEqualTo("25%");
        assertThat(s.getRevisionHistoryLimit()).isEqualTo(10);
        assertThat(s.getProgressDeadlineSeconds()).isEqualTo(600);
        var ps = s.getTemplate().getSpec();
        assertThat(ps.getRestartPolicy()).isEqualTo("Always");
        assertThat(ps.getDnsPolicy()).isEqualTo("ClusterFirst");
        assertThat(ps.getTerminationGracePeriodSeconds()).isEqualTo(30L);
        assertThat(ps.getContainers().get(0).getImagePullPolicy()).isEqualTo("Always");
        // Pod-only defaults stay out of templates, as in kube
        assertThat(ps.getEnableServiceLinks()).isNull();
        assertThat(createErrors(GOOD, Deployment.class)).isEmpty();
    }

    @Test
    void replicaSetAndDaemonSetDefaults() {
        ReplicaSet rs = created(GOOD.replace("kind: Deployment", "kind: ReplicaSet"), ReplicaSet.class);
        assertThat(rs.getSpec().getReplicas()).isEqualTo(1);
        DaemonSet ds = created(GOOD.replace("kind: Deployment", "kind: DaemonSet"), DaemonSet.class);
        var st = ds.getSpec().getUpdateStrategy();
        assertThat(st.getType()).isEqualTo("RollingUpdate");
        assertThat(st.getRollingUpdate().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(st.getRollingUpdate().getMaxSurge().getIntVal()).isZero();
        assertThat(ds.getSpec().getRevisionHistoryLimit()).isEqualTo(10);
        assertThat(createErrors(GOOD.replace("kind: Deployment", "kind: DaemonSet"), DaemonSet.class)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "selector: {matchLabels: {app: x}}\\n" + "T|spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
            "replicas: -1\\nselector: {matchLabels: {app: web}}\\nT|spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "selector: {}\\nT|spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
            "selector: {matchLabels: {app: web}}\\nstrategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\\nT|spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0",
            "selector: {matchLabels: {app: web}}\\nstrategy: {rollingUpdate: {maxSurge: 'x%'}}\\nT|spec.strategy.rollingUpdate.maxSurge: Invalid value: x%: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            "selector: {matchLabels: {app: web}}\\nstrategy: {rollingUpdate: {maxUnavailable: 150%}}\\nT|spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%",
            "selector: {matchLabels: {app: web}}\\nstrategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}\\nT|spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
            "selector: {matchLabels: {app: web}}\\nprogressDeadlineSeconds: 5\\nminReadySeconds: 10\\nT|spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds",
    })
    void deploymentRules(String spec, String error) {
        String yaml = deployment(spec.replace("\\n", "\n").replace("\nT", "\n" + TEMPLATE));
        assertThat(createErrors(yaml, Deployment.class)).containsExactly(error);
    }

    @Test
    void aSelectorKubeCannotParseIsReportedTwice() {
        String yaml = deployment("selector: {matchExpressions: [{key: app, operator: Has}]}\n" + TEMPLATE);
        assertThat(createErrors(yaml, Deployment.class)).containsExactly(
                "spec.selector.matchExpressions[0].operator: Invalid value: \"Has\": not a valid selector operator",
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{"
                        + "v1.LabelSelectorRequirement{Key:\"app\", Operator:\"Has\", Values:[]string(nil)}}}: invalid label selector");
    }

    @Test
    void selectorIsRequired() {
        assertThat(createErrors(deployment(TEMPLATE), Deployment.class)).containsExactly(
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`");
    }

    @Test
    void templatesRestartAlways() {
        String yaml = GOOD.replace("spec: {containers:", "spec: {restartPolicy: OnFailure, containers:");
        assertThat(createErrors(yaml, Deployment.class))
                .containsExactly("spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"");
    }

    @Test
    void templateErrorsCarryTheTemplatePath() {
        String yaml = GOOD.replace("image: nginx", "image: ''").replace("{labels: {app: web}}", "{labels: {app: web, 'bad key!': x}}");
        assertThat(createErrors(yaml, Deployment.class)).anySatisfy(e -> assertThat(e).startsWith("spec.template.labels: Invalid value: \"bad key!\""))
                .contains("spec.template.spec.containers[0].image: Required value");
    }

    @Test
    void selectorIsImmutable() {
        String changed = deployment("selector: {matchLabels: {app: web, tier: x}}\n" + TEMPLATE.replace("{app: web}", "{app: web, tier: x}"));
        assertThat(updateErrors(GOOD, changed, Deployment.class)).containsExactly(
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"x\"}, "
                        + "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
        assertThat(updateErrors(GOOD, GOOD.replace("image: nginx", "image: nginx:2"), Deployment.class)).isEmpty();
    }

    @Test
    void replicaSetSelectorIsImmutableToo() {
        String rs = GOOD.replace("kind: Deployment", "kind: ReplicaSet");
        String changed = rs.replace("matchLabels: {app: web}", "matchExpressions: [{key: app, operator: Exists}]");
        assertThat(updateErrors(rs, changed, ReplicaSet.class)).singleElement().asString()
                .isEqualTo("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{"
                        + "v1.LabelSelectorRequirement{Key:\"app\", Operator:\"Exists\", Values:[]string(nil)}}}: field is immutable");
    }

    @Test
    void daemonSetRollingUpdateNeedsExactlyOneOfSurgeAndUnavailable() {
        String ds = GOOD.replace("kind: Deployment", "kind: DaemonSet");
        String both = ds.replace("selector:", "updateStrategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}\n  selector:");
        assertThat(createErrors(both, DaemonSet.class))
                .containsExactly("spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero");
        String none = ds.replace("selector:", "updateStrategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\n  selector:");
        assertThat(createErrors(none, DaemonSet.class))
                .containsExactly("spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0");
    }

    @Test
    void statusIsResetOnCreateAndKeptOnUpdate() {
        Deployment d = Fixtures.yaml(GOOD + "status: {replicas: 5}\n", Deployment.class);
        Rules.forKind(Deployment.class).prepareForCreate(d);
        assertThat(d.getStatus().getReplicas()).isNull();
        Deployment old = created(GOOD, Deployment.class);
        old.getStatus().setReplicas(3);
        Deployment now = Fixtures.copy(old);
        now.getStatus().setReplicas(9);
        Rules.forKind(Deployment.class).prepareForUpdate(now, old);
        assertThat(now.getStatus().getReplicas()).isEqualTo(3);
    }

    @Test
    void aDaemonSetsTemplateGenerationCountsTemplateChanges() {
        String yaml = GOOD.replace("kind: Deployment", "kind: DaemonSet");
        DaemonSet ds = Fixtures.yaml(yaml, DaemonSet.class);
        Rules.forKind(DaemonSet.class).prepareForCreate(ds);
        assertThat(ds.getMetadata().getAnnotations()).containsEntry("deprecated.daemonset.template.generation", "1");
        DaemonSet same = Fixtures.copy(ds);
        same.getSpec().setMinReadySeconds(5);
        Rules.forKind(DaemonSet.class).prepareForUpdate(same, ds);
        assertThat(same.getMetadata().getAnnotations()).containsEntry("deprecated.daemonset.template.generation", "1");
        DaemonSet changed = Fixtures.copy(ds);
        changed.getSpec().getTemplate().getSpec().getContainers().getFirst().setImage("other:2");
        Rules.forKind(DaemonSet.class).prepareForUpdate(changed, ds);
        assertThat(changed.getMetadata().getAnnotations()).containsEntry("deprecated.daemonset.template.generation", "2");
    }
}
