package io.kubeha.apiserver.table;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;

import static io.kubeha.apiserver.table.TableTestSupport.ago;
import static io.kubeha.apiserver.table.TableTestSupport.cells;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static io.kubeha.apiserver.table.TableTestSupport.minutesAgo;
import static org.assertj.core.api.Assertions.assertThat;

class EventPrinterTest {

    @Test
    void columnsAreTheSameForBothEventApis() {
        assertThat(TableTestSupport.columns("events")).containsExactly("Last Seen", "Type", "Reason", "Object",
                "Subobject*", "Source*", "Message", "First Seen*", "Count*", "Name*");
        assertThat(TableTestSupport.columns("events.events.k8s.io"))
                .isEqualTo(TableTestSupport.columns("events"));
    }

    @Test
    void coreEventFromTheKubelet() {
        ObjectNode e = json("""
                {"apiVersion":"v1","kind":"Event",
                 "metadata":{"name":"web-1.17d3a2b1c4e5f6a7","namespace":"default","creationTimestamp":"%s"},
                 "involvedObject":{"kind":"Pod","namespace":"default","name":"web-1","apiVersion":"v1",
                   "fieldPath":"spec.containers{web}"},
                 "reason":"BackOff","message":"Back-off restarting failed container web in pod web-1_default\\n",
                 "source":{"component":"kubelet","host":"node1"},
                 "firstTimestamp":"%s","lastTimestamp":"%s","count":12,"type":"Warning"}
                """.formatted(minutesAgo(30), minutesAgo(30), ago(Duration.ofSeconds(40))));

        assertThat(cells("events", e)).containsExactly(
                "40s", "Warning", "BackOff", "pod/web-1", "spec.containers{web}", "kubelet, node1",
                "Back-off restarting failed container web in pod web-1_default", "30m", 12L,
                "web-1.17d3a2b1c4e5f6a7");
    }

    @Test
    void singletonEventWithoutLastTimestampOrCount() {
        ObjectNode e = json("""
                {"metadata":{"name":"logapi.1"},
                 "involvedObject":{"kind":"Deployment","name":"logapi"},
                 "reason":"ScalingReplicaSet","message":"Scaled up replica set logapi-7d9c5 to 3",
                 "source":{"component":"deployment-controller"},
                 "firstTimestamp":"%s","type":"Normal"}""".formatted(minutesAgo(3)));

        assertThat(cells("events", e)).containsExactly("3m", "Normal", "ScalingReplicaSet", "deployment/logapi", "",
                "deployment-controller", "Scaled up replica set logapi-7d9c5 to 3", "3m", 1L, "logapi.1");
    }

    @Test
    void newStyleCoreEventUsesEventTimeSeriesAndReportingComponent() {
        ObjectNode e = json("""
                {"metadata":{"name":"sched.1"},
                 "involvedObject":{"kind":"Pod","name":"web-2"},
                 "reason":"FailedScheduling","message":"0/5 nodes are available","type":"Warning",
                 "eventTime":"%s","series":{"count":4,"lastObservedTime":"%s"},
                 "reportingComponent":"default-scheduler","reportingInstance":"default-scheduler-master1",
                 "source":{}}""".formatted("2025-06-01T10:59:59.123456Z", ago(Duration.ofSeconds(90))));

        assertThat(cells("events", e)).containsExactly("90s", "Warning", "FailedScheduling", "pod/web-2", "",
                "default-scheduler, default-scheduler-master1", "0/5 nodes are available", "60m", 4L, "sched.1");
    }

    @Test
    void eventsK8sIoEventReadsItsOwnFieldNames() {
        ObjectNode e = json("""
                {"apiVersion":"events.k8s.io/v1","kind":"Event",
                 "metadata":{"name":"node1.abc","namespace":"default","creationTimestamp":"%s"},
                 "eventTime":"%s","reportingController":"kubelet","reportingInstance":"node1",
                 "action":"Starting","reason":"Starting","note":"Starting kubelet.","type":"Normal",
                 "regarding":{"kind":"Node","name":"node1","uid":"node1"}}""".formatted(minutesAgo(9), minutesAgo(9)));

        assertThat(cells("events.events.k8s.io", e)).containsExactly("9m", "Normal", "Starting", "node/node1", "",
                "kubelet, node1", "Starting kubelet.", "9m", 1L, "node1.abc");
    }

    @Test
    void eventsK8sIoEventWithDeprecatedFields() {
        ObjectNode e = json("""
                {"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"x"},
                 "eventTime":null,"reason":"Killing","note":"Stopping container web","type":"Normal",
                 "regarding":{"kind":"Pod","name":"web-1","fieldPath":"spec.containers{web}"},
                 "deprecatedSource":{"component":"kubelet","host":"node2"},
                 "deprecatedFirstTimestamp":"%s","deprecatedLastTimestamp":"%s","deprecatedCount":2}"""
                .formatted(minutesAgo(20), minutesAgo(6)));

        assertThat(cells("events.events.k8s.io", e)).containsExactly("6m", "Normal", "Killing", "pod/web-1",
                "spec.containers{web}", "kubelet, node2", "Stopping container web", "20m", 2L, "x");
    }

    @Test
    void eventAboutAKindWithoutNameAndWithoutAnyTime() {
        ObjectNode e = json("""
                {"metadata":{"name":"y"},"involvedObject":{"kind":"ClusterRole"},"reason":"R","message":"m"}""");

        assertThat(cells("events", e).subList(0, 4)).containsExactly("<unknown>", "", "R", "clusterrole");
    }
}
