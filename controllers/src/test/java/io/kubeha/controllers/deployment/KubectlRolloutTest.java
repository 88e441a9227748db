package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The real kubectl's rollout commands work unchanged against the controller's annotations, status and conditions. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubectlRolloutTest {
    static final String NS = "default";
    DeploymentFixture f;
    Kubectl kubectl;

    @BeforeAll
    void setUp() throws Exception {
        f = new DeploymentFixture();
        // the real kubectl is required: Kubectl fails, saying what to install, when it is missing (never a skip)
        kubectl = new Kubectl(Kubectl.DEFAULT, Kubectl.writeKubeconfig(f.api.dir.resolve("kubeconfig"), f.api.url));
    }

    @AfterAll
    void tearDown() throws Exception {
        f.close();
    }

    Kubectl.Result kubectl(String... args) {
        return kubectl.run(null, Duration.ofSeconds(60), args);
    }

    String image() {
        return f.get(NS, "app").getSpec().getTemplate().getSpec().getContainers().getFirst().getImage();
    }

    String revision(ReplicaSet rs) {
        return f.client.apps().replicaSets().inNamespace(NS).withName(rs.getMetadata().getName()).get()
                .getMetadata().getAnnotations().get("deployment.kubernetes.io/revision");
    }

    @Test
    void statusHistoryUndoPauseResumeAndRestart() {
        f.create(DeploymentFixture.deployment(NS, "app", 3, "img:1")
                .editMetadata().withAnnotations(Map.of("kubernetes.io/change-cause", "first")).endMetadata());
        Kubectl.Result status = kubectl("rollout", "status", "deployment/app", "--timeout=50s").orFail();
        assertThat(status.out()).contains("deployment \"app\" successfully rolled out");
        ReplicaSet rev1 = f.replicaSets(NS, "app").getFirst();

        kubectl("patch", "deployment", "app", "-p",
                "{\"metadata\":{\"annotations\":{\"kubernetes.io/change-cause\":\"second\"}},"
                        + "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"img:2\"}]}}}}").orFail();
        kubectl("rollout", "status", "deployment/app", "--timeout=50s").orFail();
        assertThat(f.pods(NS, "app")).hasSize(3).allSatisfy(p -> assertThat(p.getSpec().getContainers().getFirst().getImage()).isEqualTo("img:2"));
        ReplicaSet rev2 = f.replicaSetWithImage(NS, "app", "img:2");

        String history = kubectl("rollout", "history", "deployment/app").orFail().out();
        assertThat(history).containsPattern("(?m)^REVISION\\s+CHANGE-CAUSE").containsPattern("(?m)^1\\s+first\\s*$")
                .containsPattern("(?m)^2\\s+second\\s*$");
        assertThat(kubectl("rollout", "history", "deployment/app", "--revision=1").orFail().out()).contains("img:1");

        // undo: back to the first template, through its old ReplicaSet, which takes revision 3
        assertThat(kubectl("rollout", "undo", "deployment/app").orFail().out()).contains("rolled back");
        assertThat(image()).isEqualTo("img:1");
        kubectl("rollout", "status", "deployment/app", "--timeout=50s").orFail();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            assertThat(f.replicaSets(NS, "app")).extracting(r -> r.getMetadata().getUid())
                    .containsExactlyInAnyOrder(rev1.getMetadata().getUid(), rev2.getMetadata().getUid());
            assertThat(revision(rev1)).isEqualTo("3");
            assertThat(f.get(NS, "app").getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "3");
        });
        assertThat(f.pods(NS, "app")).hasSize(3).allSatisfy(p -> assertThat(p.getSpec().getContainers().getFirst().getImage()).isEqualTo("img:1"));
        assertThat(f.client.apps().replicaSets().inNamespace(NS).withName(rev1.getMetadata().getName()).get().getMetadata().getAnnotations())
                .containsEntry("deployment.kubernetes.io/revision-history", "1");
        history = kubectl("rollout", "history", "deployment/app").orFail().out();
        assertThat(history).containsPattern("(?m)^2\\s+second\\s*$").containsPattern("(?m)^3\\s+first\\s*$").doesNotContainPattern("(?m)^1\\s");

        assertThat(kubectl("rollout", "undo", "deployment/app", "--to-revision=2").orFail().out()).contains("rolled back");
        kubectl("rollout", "status", "deployment/app", "--timeout=50s").orFail();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(revision(rev2)).isEqualTo("4"));
        assertThat(image()).isEqualTo("img:2");

        // paused: the template change is observed but nothing rolls
        kubectl("rollout", "pause", "deployment/app").orFail();
        kubectl("set", "image", "deployment/app", "c=img:5").orFail();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            Deployment d = f.get(NS, "app");
            assertThat(d.getStatus().getObservedGeneration()).isEqualTo(d.getMetadata().getGeneration());
            assertThat(d.getStatus().getConditions()).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Progressing");
                assertThat(c.getStatus()).isEqualTo("Unknown");
                assertThat(c.getReason()).isEqualTo("DeploymentPaused");
                assertThat(c.getMessage()).isEqualTo("Deployment is paused");
            });
        });
        assertThat(f.replicaSetWithImage(NS, "app", "img:5")).isNull();
        assertThat(f.replicaSets(NS, "app")).hasSize(2);
        assertThat(kubectl("rollout", "undo", "deployment/app").err()).contains("cannot rollback a paused deployment");
        // scaling goes on while paused, on the current ReplicaSet
        kubectl("scale", "deployment/app", "--replicas=4").orFail();
        await().atMost(ApiFixture.WAIT).until(() -> f.replicaSetWithImage(NS, "app", "img:2").getSpec().getReplicas() == 4
                && f.pods(NS, "app").size() == 4);
        assertThat(f.replicaSetWithImage(NS, "app", "img:5")).isNull();

        kubectl("rollout", "resume", "deployment/app").orFail();
        kubectl("rollout", "status", "deployment/app", "--timeout=50s").orFail();
        assertThat(f.pods(NS, "app")).hasSize(4).allSatisfy(p -> assertThat(p.getSpec().getContainers().getFirst().getImage()).isEqualTo("img:5"));
        assertThat(revision(f.replicaSetWithImage(NS, "app", "img:5"))).isEqualTo("5");

        // restart: a template annotation, so a new ReplicaSet with the same image
        kubectl("rollout", "restart", "deployment/app").orFail();
        kubectl("rollout", "status", "deployment/app", "--timeout=50s").orFail();
        List<ReplicaSet> rss = f.replicaSets(NS, "app");
        assertThat(rss).hasSize(4);
        ReplicaSet restarted = rss.stream().filter(r -> r.getSpec().getTemplate().getMetadata().getAnnotations() != null
                && r.getSpec().getTemplate().getMetadata().getAnnotations().containsKey("kubectl.kubernetes.io/restartedAt")).findFirst().orElseThrow();
        assertThat(restarted.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()).isEqualTo("img:5");
        assertThat(restarted.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "6");
        assertThat(f.pods(NS, "app")).hasSize(4).allSatisfy(p -> assertThat(p.getMetadata().getLabels())
                .containsEntry("pod-template-hash", restarted.getMetadata().getLabels().get("pod-template-hash")));
    }

    @Test
    void rolloutStatusFailsWhenTheDeadlineIsExceeded() {
        f.create(DeploymentFixture.deployment(NS, "stuck", 2, "bad:1").editSpec().withProgressDeadlineSeconds(1).endSpec());
        Kubectl.Result r = kubectl("rollout", "status", "deployment/stuck", "--timeout=50s");
        assertThat(r.exit()).as(r.toString()).isNotZero();
        assertThat(r.err()).contains("deployment \"stuck\" exceeded its progress deadline");
    }
}
