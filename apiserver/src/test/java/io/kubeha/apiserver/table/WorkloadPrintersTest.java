package io.kubeha.apiserver.table;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;

import static io.kubeha.apiserver.table.TableTestSupport.ago;
import static io.kubeha.apiserver.table.TableTestSupport.cells;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static io.kubeha.apiserver.table.TableTestSupport.minutesAgo;
import static io.kubeha.apiserver.table.TableTestSupport.tree;
import static org.assertj.core.api.Assertions.assertThat;

class WorkloadPrintersTest {

    @Test
    void columns() {
        assertThat(TableTestSupport.columns("deployments.apps")).containsExactly(
                "Name", "Ready", "Up-to-date", "Available", "Age", "Containers*", "Images*", "Selector*");
        assertThat(TableTestSupport.columns("replicasets.apps")).containsExactly(
                "Name", "Desired", "Current", "Ready", "Age", "Containers*", "Images*", "Selector*");
        assertThat(TableTestSupport.columns("daemonsets.apps")).containsExactly("Name", "Desired", "Current",
                "Ready", "Up-to-date", "Available", "Node Selector", "Age", "Containers*", "Images*", "Selector*");
        assertThat(TableTestSupport.columns("controllerrevisions.apps"))
                .containsExactly("Name", "Controller", "Revision", "Age");
    }

    @Test
    void deploymentBuiltWithFabric8() {
        Deployment d = new DeploymentBuilder()
                .withNewMetadata().withName("coredns").withNamespace("kube-system")
                .withCreationTimestamp(ago(Duration.ofDays(2).plusHours(3))).endMetadata()
                .withNewSpec().withReplicas(3)
                .withNewSelector().addToMatchLabels("k8s-app", "kube-dns").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("k8s-app", "kube-dns").endMetadata()
                .withNewSpec()
                .addNewContainer().withName("coredns").withImage("kubeha/dns:0.1").endContainer()
                .addNewContainer().withName("health").withImage("kubeha/health:0.1").endContainer()
                .endSpec().endTemplate()
                .endSpec()
                .withNewStatus().withReplicas(3).withReadyReplicas(2).withUpdatedReplicas(3).withAvailableReplicas(2)
                .endStatus()
                .build();

        assertThat(cells("deployments.apps", tree(d))).containsExactly("coredns", "2/3", 3L, 2L, "2d3h",
                "coredns,health", "kubeha/dns:0.1,kubeha/health:0.1", "k8s-app=kube-dns");
    }

    @Test
    void newDeploymentWithoutStatusAndDefaultedReplicas() {
        ObjectNode d = json("""
                {"metadata":{"name":"web","creationTimestamp":"%s"},
                 "spec":{"selector":{"matchLabels":{"app":"web"},
                                     "matchExpressions":[{"key":"env","operator":"In","values":["qa","prod"]},
                                                         {"key":"canary","operator":"DoesNotExist"}]},
                         "template":{"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}"""
                .formatted(ago(Duration.ofSeconds(4))));

        assertThat(cells("deployments.apps", d))
                .containsExactly("web", "0/1", 0L, 0L, "4s", "web", "nginx", "app=web,!canary,env in (prod,qa)");
    }

    @Test
    void deploymentSelectorIsEmptyWhenUnsetAndInvalidWhenUnbuildable() {
        ObjectNode unset = json("""
                {"metadata":{"name":"a"},"spec":{"replicas":0}}""");
        ObjectNode invalid = json("""
                {"metadata":{"name":"b"},"spec":{"selector":{"matchExpressions":[{"key":"x","operator":"In"}]}}}""");

        assertThat(cells("deployments.apps", unset)).containsExactly("a", "0/0", 0L, 0L, "<unknown>", "", "", "");
        assertThat(cells("deployments.apps", invalid).get(7)).isEqualTo("<invalid>");
    }

    @Test
    void replicaSet() {
        ObjectNode rs = json("""
                {"apiVersion":"apps/v1","kind":"ReplicaSet",
                 "metadata":{"name":"logapi-7d9c5","creationTimestamp":"%s"},
                 "spec":{"replicas":2,"selector":{"matchLabels":{"app":"logapi","pod-template-hash":"7d9c5"}},
                   "template":{"spec":{"containers":[{"name":"logapi","image":"kubeha/logapi:1"}]}}},
                 "status":{"replicas":2,"readyReplicas":1,"availableReplicas":1}}""".formatted(minutesAgo(12)));

        assertThat(cells("replicasets.apps", rs)).containsExactly("logapi-7d9c5", 2L, 2L, 1L, "12m", "logapi",
                "kubeha/logapi:1", "app=logapi,pod-template-hash=7d9c5");
    }

    @Test
    void replicaSetWithoutSelectorIsNone() {
        ObjectNode rs = json("""
                {"metadata":{"name":"old"},"spec":{"replicas":0,"selector":{}}}""");

        assertThat(cells("replicasets.apps", rs)).containsExactly("old", 0L, 0L, 0L, "<unknown>", "", "", "<none>");
    }

    @Test
    void daemonSet() {
        ObjectNode ds = json("""
                {"apiVersion":"apps/v1","kind":"DaemonSet",
                 "metadata":{"name":"kube-proxy","namespace":"kube-system","creationTimestamp":"%s"},
                 "spec":{"selector":{"matchLabels":{"k8s-app":"kube-proxy"}},
                   "template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux","kubeadm.alpha.kubernetes.io/role":"node"},
                     "containers":[{"name":"kube-proxy","image":"kubeha/proxy:0.1"}]}}},
                 "status":{"desiredNumberScheduled":5,"currentNumberScheduled":5,"numberReady":4,
                   "updatedNumberScheduled":5,"numberAvailable":4}}""".formatted(ago(Duration.ofHours(30))));

        assertThat(cells("daemonsets.apps", ds)).containsExactly("kube-proxy", 5L, 5L, 4L, 5L, 4L,
                "kubeadm.alpha.kubernetes.io/role=node,kubernetes.io/os=linux", "30h",
                "kube-proxy", "kubeha/proxy:0.1", "k8s-app=kube-proxy");
    }

    @Test
    void daemonSetWithoutNodeSelector() {
        ObjectNode ds = json("""
                {"metadata":{"name":"logs"},"spec":{"template":{"spec":{"containers":[]}}}}""");

        assertThat(cells("daemonsets.apps", ds).get(6)).isEqualTo("<none>");
        assertThat(cells("daemonsets.apps", ds).get(10)).isEqualTo("<none>");
    }

    @Test
    void controllerRevisionNamesItsController() {
        ObjectNode cr = json("""
                {"apiVersion":"apps/v1","kind":"ControllerRevision",
                 "metadata":{"name":"kube-proxy-6d4b75cb6d","creationTimestamp":"%s",
                   "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"other","uid":"1"},
                     {"apiVersion":"apps/v1","kind":"DaemonSet","name":"kube-proxy","uid":"2","controller":true}]},
                 "revision":3,"data":{}}""".formatted(minutesAgo(61)));
        ObjectNode coreOwner = json("""
                {"metadata":{"name":"r","ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"p","controller":true}]},
                 "revision":1}""");
        ObjectNode orphan = json("""
                {"metadata":{"name":"r"},"revision":7}""");

        assertThat(cells("controllerrevisions.apps", cr))
                .containsExactly("kube-proxy-6d4b75cb6d", "daemonset.apps/kube-proxy", 3L, "61m");
        assertThat(cells("controllerrevisions.apps", coreOwner).get(1)).isEqualTo("pod/p");
        assertThat(cells("controllerrevisions.apps", orphan)).containsExactly("r", "<none>", 7L, "<unknown>");
    }
}
