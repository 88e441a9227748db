package io.kubeha.security.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import tools.jackson.databind.JsonNode;

class AggregationTest {

    private static JsonNode role(String name, String labels, String rules) {
        return MemoryRbacObjects.json("{'kind':'ClusterRole','metadata':{'name':'" + name + "','labels':{" + labels
                + "}},'rules':" + rules + "}");
    }

    private static PolicyRule get(String resource) {
        return PolicyRule.resourceRule(List.of("get"), List.of(""), List.of(resource));
    }

    @ParameterizedTest(name = "[{index}] {0} on {1} -> {2}")
    @CsvSource(delimiter = ';', value = {
        "{};                                                             {};                   true",
        "{'matchLabels':{'a':'1'}};                                      {'a':'1','b':'2'};    true",
        "{'matchLabels':{'a':'1'}};                                      {'a':'2'};            false",
        "{'matchExpressions':[{'key':'a','operator':'In','values':['1','2']}]};   {'a':'2'};   true",
        "{'matchExpressions':[{'key':'a','operator':'In','values':['1']}]};       {};          false",
        "{'matchExpressions':[{'key':'a','operator':'In','values':[]}]};          {'a':''};    false",
        "{'matchExpressions':[{'key':'a','operator':'NotIn','values':['1']}]};    {};          true",
        "{'matchExpressions':[{'key':'a','operator':'NotIn','values':['1']}]};    {'a':'1'};   false",
        "{'matchExpressions':[{'key':'a','operator':'Exists'}]};                  {'a':''};    true",
        "{'matchExpressions':[{'key':'a','operator':'Exists'}]};                  {'b':'1'};   false",
        "{'matchExpressions':[{'key':'a','operator':'DoesNotExist'}]};            {'b':'1'};   true",
        "{'matchExpressions':[{'key':'a','operator':'DoesNotExist'}]};            {'a':'1'};   false",
        "{'matchExpressions':[{'key':'a','operator':'Gt','values':['1']}]};       {'a':'2'};   false",
        "{'matchLabels':{'a':'1'},'matchExpressions':[{'key':'b','operator':'Exists'}]}; {'a':'1'}; false",
    })
    void selectors(String selector, String labels, boolean matches) {
        assertThat(Aggregation.matches(MemoryRbacObjects.json(selector),
                Json.stringMap(MemoryRbacObjects.json(labels)))).isEqualTo(matches);
    }

    @Test
    void unionInSelectorThenNameOrderWithoutDuplicatesOrItself() {
        JsonNode monitoring = MemoryRbacObjects.json("{'kind':'ClusterRole','metadata':{'name':'monitoring',"
                + "'labels':{'agg':'yes'}},'aggregationRule':{'clusterRoleSelectors':["
                + "{'matchLabels':{'agg':'yes'}},"
                + "{'matchExpressions':[{'key':'extra','operator':'In','values':['x']}]}]},"
                + "'rules':[{'verbs':['get'],'apiGroups':[''],'resources':['old']}]}");
        List<JsonNode> all = List.of(monitoring,
                role("b", "'agg':'yes'", "[{'verbs':['get'],'apiGroups':[''],'resources':['pods']}]"),
                role("a", "'agg':'yes'", "[{'verbs':['get'],'apiGroups':[''],'resources':['nodes']},"
                        + "{'verbs':['get'],'apiGroups':[''],'resources':['pods']}]"),
                role("c", "'extra':'x'", "[{'verbs':['get'],'apiGroups':[''],'resources':['services']}]"),
                role("d", "'agg':'no'", "[{'verbs':['get'],'apiGroups':[''],'resources':['secrets']}]"));
        assertThat(Aggregation.aggregate(monitoring, all))
                .containsExactly(get("nodes"), get("pods"), get("services"));
    }

    @Test
    void aggregateAllSettlesChains() {
        JsonNode admin = MemoryRbacObjects.json("{'kind':'ClusterRole','metadata':{'name':'admin'},"
                + "'aggregationRule':{'clusterRoleSelectors':[{'matchLabels':{'to-admin':'true'}}]}}");
        JsonNode edit = MemoryRbacObjects.json("{'kind':'ClusterRole','metadata':{'name':'edit','labels':"
                + "{'to-admin':'true'}},'aggregationRule':{'clusterRoleSelectors':[{'matchLabels':{'to-edit':'true'}}]}}");
        List<JsonNode> all = List.of(admin, edit,
                role("to-edit", "'to-edit':'true'", "[{'verbs':['get'],'apiGroups':[''],'resources':['pods']}]"),
                role("to-admin", "'to-admin':'true'", "[{'verbs':['get'],'apiGroups':[''],'resources':['roles']}]"));
        Map<String, List<PolicyRule>> rules = Aggregation.aggregateAll(all);
        assertThat(rules.get("edit")).containsExactly(get("pods"));
        assertThat(rules.get("admin")).containsExactlyInAnyOrder(get("pods"), get("roles"));
        assertThat(rules).containsOnlyKeys("admin", "edit");
        assertThat(PolicyRule.rulesOf(Aggregation.withRules(edit, rules.get("edit")))).containsExactly(get("pods"));
    }
}
