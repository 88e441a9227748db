package io.kubeha.apiserver.table;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.List;

import static io.kubeha.apiserver.table.TableTestSupport.NOW;
import static io.kubeha.apiserver.table.TableTestSupport.cells;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static io.kubeha.apiserver.table.TableTestSupport.minutesAgo;
import static io.kubeha.apiserver.table.TableTestSupport.tree;
import static org.assertj.core.api.Assertions.assertThat;

class PodPrinterTest {

    /** A pod created 5 minutes ago with the given spec and status (JSON object bodies). */
    private static ObjectNode pod(String spec, String status) {
        return json("""
                {"apiVersion":"v1","kind":"Pod",
                 "metadata":{"name":"web-1","namespace":"default","creationTimestamp":"%s","resourceVersion":"42"},
                 "spec":%s,
                 "status":%s}
                """.formatted(minutesAgo(5), spec, status));
    }

    private static final String ONE_CONTAINER = """
            {"nodeName":"node1","containers":[{"name":"web","image":"nginx:1.27"}]}""";

    /** NAME, READY, STATUS, RESTARTS, AGE: what {@code kubectl get pods} shows. */
    private static List<Object> shown(JsonNode pod) {
        return cells("pods", pod).subList(0, 5);
    }

    @Test
    void columnsAreKubeApiserversWithTheWideOnesLast() {
        assertThat(TableTestSupport.columns("pods")).containsExactly(
                "Name", "Ready", "Status", "Restarts", "Age", "IP*", "Node*", "Nominated Node*", "Readiness Gates*");
    }

    @Test
    void runningPodBuiltWithFabric8() {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName("logapi-7d9c5").withNamespace("default")
                .withCreationTimestamp(minutesAgo(200)).endMetadata()
                .withNewSpec().withNodeName("node1")
                .addNewContainer().withName("logapi").withImage("kubeha/logapi:1").endContainer()
                .endSpec()
                .withNewStatus().withPhase("Running").withPodIP("127.34.1.5")
                .addNewPodIP("127.34.1.5")
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .addNewContainerStatus().withName("logapi").withReady(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(minutesAgo(199)).endRunning().endState()
                .endContainerStatus()
                .endStatus()
                .build();

        assertThat(cells("pods", tree(pod))).containsExactly(
                "logapi-7d9c5", "1/1", "Running", "0", "3h20m", "127.34.1.5", "node1", "<none>", "<none>");
    }

    @Test
    void pendingPodNotYetScheduled() {
        ObjectNode pod = pod("""
                {"containers":[{"name":"web","image":"nginx"}]}""", """
                {"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable"}]}""");

        assertThat(cells("pods", pod)).containsExactly(
                "web-1", "0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>");
    }

    @Test
    void schedulingGatedPod() {
        ObjectNode pod = pod("""
                {"containers":[{"name":"web","image":"nginx"}],"schedulingGates":[{"name":"example.com/wait"}]}""", """
                {"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}""");

        assertThat(shown(pod)).containsExactly("web-1", "0/1", "SchedulingGated", "0", "5m");
    }

    @Test
    void containerCreating() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Pending","containerStatuses":[{"name":"web","ready":false,"restartCount":0,
                  "state":{"waiting":{"reason":"ContainerCreating"}}}]}""");

        assertThat(shown(pod)).containsExactly("web-1", "0/1", "ContainerCreating", "0", "5m");
    }

    @Test
    void imagePullBackOff() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Pending","containerStatuses":[{"name":"web","ready":false,"restartCount":0,
                  "state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image"}}}]}""");

        assertThat(shown(pod)).containsExactly("web-1", "0/1", "ImagePullBackOff", "0", "5m");
    }

    @Test
    void crashLoopBackOffShowsRestartsAndWhenTheLastOneWas() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Running","containerStatuses":[{"name":"web","ready":false,"restartCount":5,
                  "state":{"waiting":{"reason":"CrashLoopBackOff"}},
                  "lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"%s"}}}]}"""
                .formatted(minutesAgo(2)));

        assertThat(shown(pod)).containsExactly("web-1", "0/1", "CrashLoopBackOff", "5 (2m ago)", "5m");
    }

    @Test
    void restartsWithoutAKnownTimeShowOnlyTheCount() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Running","conditions":[{"type":"Ready","status":"True"}],
                 "containerStatuses":[{"name":"web","ready":true,"restartCount":2,"state":{"running":{}}}]}""");

        assertThat(shown(pod)).containsExactly("web-1", "1/1", "Running", "2", "5m");
    }

    @Test
    void restartsAddUpOverContainersAndTheLatestTerminationIsShown() {
        ObjectNode pod = pod("""
                {"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}""", """
                {"phase":"Running","containerStatuses":[
                  {"name":"a","ready":true,"restartCount":1,"state":{"running":{}},
                   "lastState":{"terminated":{"exitCode":1,"finishedAt":"%s"}}},
                  {"name":"b","ready":true,"restartCount":2,"state":{"running":{}},
                   "lastState":{"terminated":{"exitCode":1,"finishedAt":"%s"}}}]}"""
                .formatted(minutesAgo(90), ago(Duration.ofSeconds(30))));

        assertThat(shown(pod)).containsExactly("web-1", "2/2", "Running", "3 (30s ago)", "5m");
    }

    @Test
    void completedPodHasTheCompletedRowCondition() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Succeeded","containerStatuses":[{"name":"web","ready":false,"restartCount":0,
                  "state":{"terminated":{"exitCode":0,"reason":"Completed","finishedAt":"%s"}}}]}"""
                .formatted(minutesAgo(1)));

        JsonNode table = Tables.tableOf("pods", pod, TableOptions.DEFAULT, NOW);
        assertThat(TableTestSupport.cells(table, 0).subList(0, 5)).containsExactly("web-1", "0/1", "Completed", "0", "5m");
        assertThat(table.at("/rows/0/conditions")).isEqualTo(json("""
                {"c":[{"type":"Completed","status":"True","reason":"Succeeded",
                       "message":"The pod has completed successfully."}]}""").get("c"));
    }

    @Test
    void failedPodShowsTheContainersReason() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Failed","containerStatuses":[{"name":"web","ready":false,"restartCount":0,
                  "state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}""");

        JsonNode table = Tables.tableOf("pods", pod, TableOptions.DEFAULT, NOW);
        assertThat(TableTestSupport.cells(table, 0).get(2)).isEqualTo("Error");
        assertThat(table.at("/rows/0/conditions/0/reason").asString()).isEqualTo("Failed");
        assertThat(table.at("/rows/0/conditions/0/message").asString()).isEqualTo("The pod failed.");
    }

    @Test
    void terminatedWithoutReasonShowsExitCodeOrSignal() {
        ObjectNode exitCode = pod(ONE_CONTAINER, """
                {"phase":"Failed","containerStatuses":[{"name":"web","restartCount":0,
                  "state":{"terminated":{"exitCode":137}}}]}""");
        ObjectNode signal = pod(ONE_CONTAINER, """
                {"phase":"Failed","containerStatuses":[{"name":"web","restartCount":0,
                  "state":{"terminated":{"exitCode":0,"signal":9}}}]}""");

        assertThat(shown(exitCode).get(2)).isEqualTo("ExitCode:137");
        assertThat(shown(signal).get(2)).isEqualTo("Signal:9");
    }

    @Test
    void evictedPodShowsStatusReason() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Failed","reason":"Evicted","message":"The node was low on resource: memory."}""");

        assertThat(shown(pod)).containsExactly("web-1", "0/1", "Evicted", "0", "5m");
    }

    @Test
    void oneContainerCompletedWhileAnotherRunsIsRunningOrNotReady() {
        String spec = """
                {"containers":[{"name":"job","image":"x"},{"name":"server","image":"y"}]}""";
        String statuses = """
                "containerStatuses":[
                  {"name":"job","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
                  {"name":"server","ready":true,"restartCount":0,"state":{"running":{}}}]""";
        ObjectNode ready = pod(spec, "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
                + statuses + "}");
        ObjectNode notReady = pod(spec, "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],"
                + statuses + "}");

        assertThat(shown(ready)).containsExactly("web-1", "1/2", "Running", "0", "5m");
        assertThat(shown(notReady)).containsExactly("web-1", "1/2", "NotReady", "0", "5m");
    }

    @Test
    void theFirstContainersReasonWins() {
        ObjectNode pod = pod("""
                {"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}""", """
                {"phase":"Pending","containerStatuses":[
                  {"name":"a","restartCount":0,"state":{"waiting":{"reason":"ErrImagePull"}}},
                  {"name":"b","restartCount":0,"state":{"waiting":{"reason":"ContainerCreating"}}}]}""");

        assertThat(shown(pod).get(2)).isEqualTo("ErrImagePull");
    }

    private static final String TWO_INITS = """
            {"initContainers":[{"name":"init-db","image":"busybox"},{"name":"init-cache","image":"busybox"}],
             "containers":[{"name":"web","image":"nginx"}]}""";

    @Test
    void firstInitContainerRunning() {
        ObjectNode pod = pod(TWO_INITS, """
                {"phase":"Pending","initContainerStatuses":[
                  {"name":"init-db","ready":false,"restartCount":0,"state":{"running":{}}},
                  {"name":"init-cache","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}],
                 "containerStatuses":[{"name":"web","ready":false,"restartCount":0,
                   "state":{"waiting":{"reason":"PodInitializing"}}}]}""");

        assertThat(shown(pod)).containsExactly("web-1", "0/1", "Init:0/2", "0", "5m");
    }

    @Test
    void secondInitContainerRunningAfterTheFirstSucceeded() {
        ObjectNode pod = pod(TWO_INITS, """
                {"phase":"Pending","initContainerStatuses":[
                  {"name":"init-db","ready":true,"restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
                  {"name":"init-cache","ready":false,"restartCount":0,"state":{"running":{}}}]}""");

        assertThat(shown(pod).get(2)).isEqualTo("Init:1/2");
    }

    @Test
    void initContainerWaitingOnPodInitializingCountsAsNotStarted() {
        ObjectNode pod = pod(TWO_INITS, """
                {"phase":"Pending","initContainerStatuses":[
                  {"name":"init-db","restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}]}""");

        assertThat(shown(pod).get(2)).isEqualTo("Init:0/2");
    }

    @Test
    void initContainerCrashLooping() {
        ObjectNode pod = pod(TWO_INITS, """
                {"phase":"Pending","initContainerStatuses":[
                  {"name":"init-db","ready":false,"restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"}},
                   "lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"%s"}}},
                  {"name":"init-cache","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}]}"""
                .formatted(minutesAgo(1)));

        assertThat(shown(pod)).containsExactly("web-1", "0/1", "Init:CrashLoopBackOff", "3 (60s ago)", "5m");
    }

    @Test
    void initContainerFailed() {
        ObjectNode withReason = pod(TWO_INITS, """
                {"phase":"Pending","initContainerStatuses":[
                  {"name":"init-db","restartCount":0,"state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}""");
        ObjectNode exitCode = pod(TWO_INITS, """
                {"phase":"Pending","initContainerStatuses":[
                  {"name":"init-db","restartCount":0,"state":{"terminated":{"exitCode":2}}}]}""");
        ObjectNode signal = pod(TWO_INITS, """
                {"phase":"Pending","initContainerStatuses":[
                  {"name":"init-db","restartCount":0,"state":{"terminated":{"exitCode":143,"signal":15}}}]}""");
        ObjectNode zeroWithSignal = pod(TWO_INITS, """
                {"phase":"Pending","initContainerStatuses":[
                  {"name":"init-db","restartCount":0,"state":{"terminated":{"exitCode":0,"signal":15}}},
                  {"name":"init-cache","restartCount":0,"state":{"running":{}}}]}""");

        assertThat(shown(withReason).get(2)).isEqualTo("Init:Error");
        assertThat(shown(exitCode).get(2)).isEqualTo("Init:ExitCode:2");
        assertThat(shown(signal).get(2)).isEqualTo("Init:Signal:15");
        // kube judges an init container by its exit code alone: 0 is success, whatever the signal
        assertThat(shown(zeroWithSignal).get(2)).isEqualTo("Init:1/2");
    }

    @Test
    void sidecarCountsAsAContainerOnceStarted() {
        ObjectNode pod = pod("""
                {"initContainers":[{"name":"proxy","image":"envoy","restartPolicy":"Always"}],
                 "containers":[{"name":"web","image":"nginx"}]}""", """
                {"phase":"Running","conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"}],
                 "initContainerStatuses":[{"name":"proxy","ready":true,"started":true,"restartCount":1,
                   "state":{"running":{}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"%s"}}}],
                 "containerStatuses":[{"name":"web","ready":true,"restartCount":0,"state":{"running":{}}}]}"""
                .formatted(minutesAgo(4)));

        assertThat(shown(pod)).containsExactly("web-1", "2/2", "Running", "1 (4m ago)", "5m");
    }

    @Test
    void sidecarNotYetStartedHoldsInitialization() {
        ObjectNode pod = pod("""
                {"initContainers":[{"name":"proxy","image":"envoy","restartPolicy":"Always"}],
                 "containers":[{"name":"web","image":"nginx"}]}""", """
                {"phase":"Pending","initContainerStatuses":[{"name":"proxy","ready":false,"started":false,
                   "restartCount":0,"state":{"running":{}}}]}""");

        assertThat(shown(pod)).containsExactly("web-1", "0/2", "Init:0/1", "0", "5m");
    }

    @Test
    void podBeingDeletedIsTerminating() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Running","containerStatuses":[{"name":"web","ready":true,"restartCount":0,"state":{"running":{}}}]}""");
        ((ObjectNode) pod.get("metadata")).put("deletionTimestamp", NOW.toString());

        assertThat(shown(pod)).containsExactly("web-1", "1/1", "Terminating", "0", "5m");
    }

    @Test
    void podOfALostNodeBeingDeletedIsUnknown() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Running","reason":"NodeLost","containerStatuses":[{"name":"web","ready":true,
                  "restartCount":0,"state":{"running":{}}}]}""");
        ((ObjectNode) pod.get("metadata")).put("deletionTimestamp", NOW.toString());

        assertThat(shown(pod).get(2)).isEqualTo("Unknown");
    }

    @Test
    void finishedPodBeingDeletedKeepsItsStatus() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Succeeded","containerStatuses":[{"name":"web","restartCount":0,
                  "state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}""");
        ((ObjectNode) pod.get("metadata")).put("deletionTimestamp", NOW.toString());

        assertThat(shown(pod).get(2)).isEqualTo("Completed");
    }

    @Test
    void wideColumnsNominatedNodeAndReadinessGates() {
        ObjectNode pod = pod("""
                {"containers":[{"name":"web","image":"nginx"}],
                 "readinessGates":[{"conditionType":"example.com/lb"},{"conditionType":"example.com/dns"}]}""", """
                {"phase":"Pending","nominatedNodeName":"node2","podIP":"10.244.2.7","podIPs":[{"ip":"10.244.2.7"}],
                 "conditions":[{"type":"example.com/lb","status":"True"},{"type":"example.com/dns","status":"False"}]}""");

        assertThat(cells("pods", pod).subList(5, 9)).containsExactly("10.244.2.7", "<none>", "node2", "1/2");
    }

    @Test
    void podIPFallsBackToStatusPodIPWithoutPodIPs() {
        ObjectNode pod = pod(ONE_CONTAINER, """
                {"phase":"Running","podIP":"127.34.1.9"}""");

        assertThat(cells("pods", pod).get(5)).isEqualTo("127.34.1.9");
    }

    @Test
    void podWithoutCreationTimestampHasUnknownAge() {
        ObjectNode pod = json("""
                {"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]},"status":{}}""");

        assertThat(shown(pod)).containsExactly("p", "0/1", "", "0", "<unknown>");
    }

    private static String ago(Duration d) {
        return TableTestSupport.ago(d);
    }
}
