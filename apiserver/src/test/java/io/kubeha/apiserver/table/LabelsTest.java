package io.kubeha.apiserver.table;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.MissingNode;

import static io.kubeha.apiserver.table.TableTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

class LabelsTest {

    @Test
    void labelMapsAreSortedByKey() {
        assertThat(Labels.formatLabels(json("{\"tier\":\"fe\",\"app\":\"web\",\"a.b/c\":\"\"}")))
                .isEqualTo("a.b/c=,app=web,tier=fe");
        assertThat(Labels.formatLabels(json("{}"))).isEqualTo("<none>");
        assertThat(Labels.formatLabels(MissingNode.getInstance())).isEqualTo("<none>");
    }

    @Test
    void selectorsPrintEveryOperatorSortedByKey() {
        var selector = json("""
                {"matchLabels":{"app":"web"},
                 "matchExpressions":[{"key":"zone","operator":"NotIn","values":["b","a"]},
                                     {"key":"gpu","operator":"Exists"},
                                     {"key":"env","operator":"In","values":["prod"]},
                                     {"key":"canary","operator":"DoesNotExist"}]}""");

        assertThat(Labels.formatLabelSelector(selector)).isEqualTo("app=web,!canary,env in (prod),gpu,zone notin (a,b)");
    }

    @Test
    void emptyNilAndInvalidSelectors() {
        assertThat(Labels.formatLabelSelector(json("{}"))).isEqualTo("<none>");
        assertThat(Labels.formatLabelSelector(MissingNode.getInstance())).isEqualTo("<none>");
        assertThat(Labels.formatLabelSelector(json("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\"}]}")))
                .isEqualTo("<error>");
        assertThat(Labels.formatLabelSelector(
                json("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}")))
                .isEqualTo("<error>");
        assertThat(Labels.selectorString(json("{}"))).contains("");
    }
}
