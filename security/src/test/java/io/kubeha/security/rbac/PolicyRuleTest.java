package io.kubeha.security.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.UserInfo;

class PolicyRuleTest {

    private static final UserInfo BOB = UserInfo.of("bob", "system:authenticated");

    private static List<String> list(String s) {
        return s == null || s.isEmpty() ? List.of() : List.of(s.split(" "));
    }

    /** "_" is the core group "". */
    private static String group(String g) {
        return g.equals("_") ? "" : g;
    }

    /** rule verbs | groups | resources | resourceNames ; request verb, group, resource, subresource, name ; allowed */
    @ParameterizedTest(name = "[{index}] rule {0}|{1}|{2}|{3} request {4} {5}/{6}/{7} name={8} -> {9}")
    @CsvSource(delimiter = ';', nullValues = "-", value = {
        // verbs
        "get;_;pods;-;            get;_;pods;-;-;           true",
        "get;_;pods;-;            delete;_;pods;-;-;        false",
        "*;_;pods;-;              delete;_;pods;-;-;        true",
        "get list;_;pods;-;       list;_;pods;-;-;          true",
        // groups
        "get;apps;deployments;-;   get;_;deployments;-;-;    false",
        "get;apps;deployments;-;   get;apps;deployments;-;-;  true",
        "get;*;deployments;-;      get;apps;deployments;-;-;  true",
        "get;_ apps;deployments;-;get;apps;deployments;-;-;  true",
        // resources and subresources
        "get;_;*;-;               get;_;secrets;-;-;        true",
        "get;_;*;-;               get;_;pods;log;x;         true",
        "get;_;pods;-;            get;_;pods;log;x;         false",
        "get;_;pods/log;-;        get;_;pods;log;x;         true",
        "get;_;pods/log;-;        get;_;pods;-;x;           false",
        "get;_;*/log;-;           get;_;pods;log;x;         true",
        "update;apps;*/scale;-;    update;apps;deployments;scale;x; true",
        "update;apps;*/scale;-;    update;apps;deployments;status;x; false",
        "update;apps;*/scale;-;    update;apps;deployments;-;x; false",
        // kube has no resource/* wildcard: pods/* is a literal name
        "get;_;pods/*;-;          get;_;pods;log;x;         false",
        "get;_;pods/*;-;          get;_;pods;-;x;           false",
        // resourceNames
        "get;_;configmaps;a b;    get;_;configmaps;-;a;     true",
        "get;_;configmaps;a b;    get;_;configmaps;-;c;     false",
        "list;_;configmaps;a;     list;_;configmaps;-;-;    false",
        "watch;_;configmaps;a;    watch;_;configmaps;-;-;   false",
        "create;_;configmaps;a;   create;_;configmaps;-;-;  false",
        "deletecollection;_;configmaps;a; deletecollection;_;configmaps;-;-; false",
        "get;_;configmaps;-;      get;_;configmaps;-;any;   true",
        "update;_;pods/status;p;  update;_;pods;status;p;   true",
    })
    void resourceRules(String verbs, String groups, String resources, String names, String verb, String group,
            String resource, String sub, String name, boolean allowed) {
        List<String> ruleGroups = list(groups).stream().map(PolicyRuleTest::group).toList();
        PolicyRule rule = new PolicyRule(list(verbs), ruleGroups, list(resources), list(names), List.of());
        Attributes a = Attributes.resource(BOB, verb, group(group), "v1", resource, sub, "default", name);
        assertThat(rule.allows(a)).isEqualTo(allowed);
    }

    @ParameterizedTest(name = "[{index}] {0} {1} vs {2} {3} -> {4}")
    @CsvSource(delimiter = ';', value = {
        "get;    /healthz;            get;    /healthz;          true",
        "get;    /healthz;            post;   /healthz;          false",
        "get;    /healthz;            get;    /healthz/etcd;     false",
        "get;    /healthz/*;          get;    /healthz/etcd;     true",
        "get;    /healthz/*;          get;    /healthz/;         true",
        "get;    /healthz/*;          get;    /healthz;          false",
        "get;    /api*;               get;    /apis/apps;        true",
        "get;    /api**;              get;    /api;              true",
        "get;    *;                   get;    /anything;         true",
        "*;      /metrics;            get;    /metrics;          true",
        "get;    /version /version/;  get;    /version/;         true",
    })
    void nonResourceRules(String verbs, String urls, String verb, String path, boolean allowed) {
        PolicyRule rule = PolicyRule.nonResourceRule(list(verbs), list(urls));
        assertThat(rule.allows(Attributes.nonResource(BOB, verb, path))).isEqualTo(allowed);
    }

    @Test
    void resourceRulesDoNotMatchPathsAndViceVersa() {
        PolicyRule all = PolicyRule.resourceRule(List.of("*"), List.of("*"), List.of("*"));
        assertThat(all.allows(Attributes.nonResource(BOB, "get", "/api"))).isFalse();
        PolicyRule urls = PolicyRule.nonResourceRule(List.of("*"), List.of("*"));
        assertThat(urls.allows(Attributes.resource(BOB, "get", "", "v1", "pods", "", "default", "p"))).isFalse();
    }

    @Test
    void readsAndWritesJson() {
        PolicyRule r = PolicyRule.of(MemoryRbacObjects.json(
                "{'verbs':['get'],'apiGroups':[''],'resources':['configmaps'],'resourceNames':['a']}"));
        assertThat(r).isEqualTo(new PolicyRule(List.of("get"), List.of(""), List.of("configmaps"), List.of("a"),
                List.of()));
        assertThat(r.toJson().toString())
                .isEqualTo("{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],"
                        + "\"resourceNames\":[\"a\"]}");
        assertThat(PolicyRule.of(r.toJson())).isEqualTo(r);
        PolicyRule u = PolicyRule.of(MemoryRbacObjects.json("{'verbs':['get'],'nonResourceURLs':['/healthz']}"));
        assertThat(u.toJson().toString()).isEqualTo("{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/healthz\"]}");
        assertThat(PolicyRule.of(MemoryRbacObjects.json("{}"))).isEqualTo(new PolicyRule(null, null, null, null, null));
    }

    @Test
    void compactStringIsKubes() {
        assertThat(PolicyRule.resourceRule(List.of("delete"), List.of(""), List.of("pods")).compactString())
                .isEqualTo("{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}");
        assertThat(new PolicyRule(List.of("get", "list"), List.of("apps"), List.of("deployments"), List.of("a"),
                List.of()).compactString())
                .isEqualTo("{APIGroups:[\"apps\"], Resources:[\"deployments\"], ResourceNames:[\"a\"], "
                        + "Verbs:[\"get\" \"list\"]}");
        assertThat(PolicyRule.nonResourceRule(List.of("get"), List.of("/healthz")).compactString())
                .isEqualTo("{NonResourceURLs:[\"/healthz\"], Verbs:[\"get\"]}");
    }
}
