package io.kubeha.controllers.daemonset;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The eligibility rules, revision hashing and int-or-percent scaling, without a server. */
class PlacementTest {
    static Node node(Map<String, String> labels, Taint... taints) {
        return new NodeBuilder().withNewMetadata().withName("n1").withLabels(labels).endMetadata()
                .withNewSpec().withTaints(taints).endSpec().build();
    }

    static DaemonSet ds(PodSpec spec) {
        return new DaemonSetBuilder().withNewMetadata().withName("d").withNamespace("ns").endMetadata()
                .withNewSpec().withNewTemplate().withNewMetadata().withLabels(Map.of("app", "d")).endMetadata()
                .withSpec(spec).endTemplate().endSpec().build();
    }

    static PodSpecBuilder spec() {
        return new PodSpecBuilder().addNewContainer().withName("c").withImage("i").endContainer();
    }

    static Placement.Decision decide(Node n, PodSpec s) {
        return Placement.decide(n, ds(s));
    }

    @Test
    void nodeSelectorAndRequiredAffinityMustBothMatch() {
        Node master = node(Map.of("role", "master", "zone", "a"));
        assertThat(decide(master, spec().withNodeSelector(Map.of("role", "master")).build())).isEqualTo(new Placement.Decision(true, true));
        assertThat(decide(master, spec().withNodeSelector(Map.of("role", "node")).build())).isEqualTo(new Placement.Decision(false, false));
        Affinity zoneB = new AffinityBuilder().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm().addNewMatchExpression().withKey("zone").withOperator("In").withValues("b").endMatchExpression().endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build();
        assertThat(decide(master, spec().withNodeSelector(Map.of("role", "master")).withAffinity(zoneB).build()).shouldContinueRunning()).isFalse();
        Affinity byName = new AffinityBuilder().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm().addNewMatchExpression().withKey("zone").withOperator("In").withValues("b").endMatchExpression().endNodeSelectorTerm()
                .addNewNodeSelectorTerm().addNewMatchField().withKey("metadata.name").withOperator("In").withValues("n1").endMatchField().endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build();
        assertThat(decide(master, spec().withAffinity(byName).build()).shouldRun()).as("terms are ORed").isTrue();
        assertThat(decide(master, spec().withNodeName("n2").build())).isEqualTo(new Placement.Decision(false, false));
    }

    @Test
    void noScheduleTaintsStopNewPodsNoExecuteTaintsEvict() {
        Taint noSchedule = new Taint("NoSchedule", "dedicated", null, "db");
        Taint noExecute = new Taint("NoExecute", "dedicated", null, "db");
        Taint preferNo = new Taint("PreferNoSchedule", "dedicated", null, "db");
        assertThat(decide(node(Map.of(), noSchedule), spec().build())).isEqualTo(new Placement.Decision(false, true));
        assertThat(decide(node(Map.of(), noExecute), spec().build())).isEqualTo(new Placement.Decision(false, false));
        assertThat(decide(node(Map.of(), preferNo), spec().build())).isEqualTo(new Placement.Decision(true, true));
        Toleration db = new TolerationBuilder().withKey("dedicated").withOperator("Equal").withValue("db").build();
        assertThat(decide(node(Map.of(), noSchedule, noExecute), spec().withTolerations(db).build())).isEqualTo(new Placement.Decision(true, true));
        Toleration other = new TolerationBuilder().withKey("dedicated").withValue("web").build();
        assertThat(decide(node(Map.of(), noExecute), spec().withTolerations(other).build()).shouldContinueRunning()).isFalse();
    }

    @Test
    void daemonPodsTolerateNodeProblemsAndCordoning() {
        for (String key : List.of("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")) {
            assertThat(decide(node(Map.of(), new Taint("NoExecute", key, null, null)), spec().build()).shouldRun()).as(key).isTrue();
        }
        for (String key : List.of("node.kubernetes.io/unschedulable", "node.kubernetes.io/disk-pressure",
                "node.kubernetes.io/memory-pressure", "node.kubernetes.io/pid-pressure")) {
            assertThat(decide(node(Map.of(), new Taint("NoSchedule", key, null, null)), spec().build()).shouldRun()).as(key).isTrue();
        }
        Taint network = new Taint("NoSchedule", "node.kubernetes.io/network-unavailable", null, null);
        assertThat(decide(node(Map.of(), network), spec().build()).shouldRun()).isFalse();
        assertThat(decide(node(Map.of(), network), spec().withHostNetwork(true).build()).shouldRun()).isTrue();

        // a user's not-ready toleration with a time limit is replaced by the unlimited one; others are kept
        Toleration limited = new TolerationBuilder().withKey("node.kubernetes.io/not-ready").withOperator("Exists")
                .withEffect("NoExecute").withTolerationSeconds(300L).build();
        Toleration mine = new TolerationBuilder().withKey("mine").withOperator("Exists").build();
        List<Toleration> t = Placement.daemonTolerations(spec().withTolerations(limited, mine).build());
        assertThat(t).hasSize(7).contains(mine);
        assertThat(t).filteredOn(x -> "node.kubernetes.io/not-ready".equals(x.getKey())).singleElement()
                .satisfies(x -> assertThat(x.getTolerationSeconds()).isNull());
    }

    @Test
    void pinningReplacesRequiredTermsAndNamesTheTargetNode() {
        Affinity a = new AffinityBuilder().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm().addNewMatchField().withKey("metadata.name").withOperator("In").withValues("old").endMatchField().endNodeSelectorTerm()
                .addNewNodeSelectorTerm().addNewMatchExpression().withKey("zone").withOperator("Exists").endMatchExpression().endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build();
        Affinity pinned = Placement.pinnedTo(a, "master2");
        var terms = pinned.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
        assertThat(terms).hasSize(1);
        assertThat(terms.getFirst().getMatchFields().getFirst().getValues()).containsExactly("master2");
        var pod = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("p").endMetadata()
                .withSpec(spec().withAffinity(Placement.pinnedTo(null, "master3")).build()).build();
        assertThat(Placement.targetNode(pod)).isEqualTo("master3");
        pod.getSpec().setNodeName("master1");
        assertThat(Placement.targetNode(pod)).isEqualTo("master1");
    }

    @Test
    void revisionHashFollowsTheTemplateAndTheCollisionCount() {
        Revisions r = new Revisions(new KubernetesSerialization());
        DaemonSet a = ds(spec().build()), b = ds(spec().withHostNetwork(true).build());
        String h = r.hash(a.getSpec().getTemplate(), null);
        assertThat(h).matches("[bcdfghjklmnpqrstvwxz2456789]+");
        assertThat(r.hash(ds(spec().build()).getSpec().getTemplate(), null)).isEqualTo(h);
        assertThat(r.hash(b.getSpec().getTemplate(), null)).isNotEqualTo(h);
        assertThat(r.hash(a.getSpec().getTemplate(), 1)).isNotEqualTo(h);
        assertThat(r.patchJson(a)).startsWith("{\"spec\":{\"template\":{\"$patch\":\"replace\",\"metadata\":");
    }

    @ParameterizedTest
    @CsvSource({"1,10,1", "'25%',10,3", "'10%',3,1", "'34%',3,2", "'100%',3,3", "'0%',3,0"})
    void intOrPercentRoundsUp(String value, int total, int expected) {
        IntOrString v = value.endsWith("%") ? new IntOrString(value) : new IntOrString(Integer.parseInt(value));
        assertThat(DaemonSetController.scaled(v, total)).isEqualTo(expected);
    }

    @Test
    void badIntOrStringIsAClearError() {
        assertThatThrownBy(() -> DaemonSetController.scaled(new IntOrString("x%"), 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid value");
    }
}
