package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.patch.Patcher.PatchType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.kubeha.apiserver.patch.Fixtures.T0;
import static io.kubeha.apiserver.patch.Fixtures.bytes;
import static io.kubeha.apiserver.patch.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The content types and request options of PATCH. */
class PatcherTest {

    @ParameterizedTest
    @CsvSource(nullValues = "none", textBlock = """
            application/json-patch+json,                  JSON_PATCH
            application/merge-patch+json,                 MERGE
            application/strategic-merge-patch+json,       STRATEGIC
            application/apply-patch+yaml,                 APPLY
            'application/merge-patch+json; charset=utf-8', MERGE
            Application/Apply-Patch+YAML,                 APPLY
            application/json,                             none
            application/apply-patch+cbor,                 none
            none,                                         none
            """)
    void contentTypes(String contentType, PatchType expected) {
        assertThat(PatchType.fromContentType(contentType)).isEqualTo(expected);
    }

    @Test
    void mediaTypesAreKubernetes() {
        assertThat(PatchType.STRATEGIC.mediaType()).isEqualTo("application/strategic-merge-patch+json");
    }

    @Test
    void applyNeedsAFieldManager() {
        assertThatThrownBy(() -> Patcher.apply(PatchType.APPLY, null, bytes("{}"), Deployment.class,
                new ApplyOptions("", false, T0)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(422);
                    assertThat(e.getMessage()).isEqualTo(
                            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
                });
    }

    @Test
    void forceIsOnlyForApply() {
        assertThatThrownBy(() -> Patcher.apply(PatchType.MERGE, yaml("{a: 1}"), bytes("{}"), null,
                new ApplyOptions("kubectl", true, T0)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(422);
                    assertThat(e.getMessage()).isEqualTo(
                            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch");
                });
    }

    @Test
    void aFieldManagerIsAtMost128Bytes() {
        assertThatThrownBy(() -> Patcher.apply(PatchType.APPLY, null, bytes("{}"), Deployment.class,
                new ApplyOptions("m".repeat(129), false, T0)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("fieldManager: Too long"));
    }

    @Test
    void onlyApplyCreates() {
        assertThatThrownBy(() -> Patcher.apply(PatchType.MERGE, null, bytes("{}"), null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
