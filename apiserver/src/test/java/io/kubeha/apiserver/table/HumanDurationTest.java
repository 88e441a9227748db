package io.kubeha.apiserver.table;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class HumanDurationTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            // clock skew of up to two seconds into the future reads as now
            "PT-1.9S, 0s",
            "PT-1S, 0s",
            "PT-2S, <invalid>",
            "PT-1H, <invalid>",
            "PT0S, 0s",
            "PT0.999S, 0s",
            "PT5S, 5s",
            "PT119S, 119s",
            "PT119.9S, 119s",
            "PT120S, 2m",
            "PT125S, 2m5s",
            "PT200S, 3m20s",
            "PT9M59S, 9m59s",
            "PT10M, 10m",
            "PT10M59S, 10m",
            "PT179M59S, 179m",
            "PT3H, 3h",
            "PT3H20M, 3h20m",
            "PT7H59M59S, 7h59m",
            "PT8H, 8h",
            "PT47H59M, 47h",
            "PT48H, 2d",
            "PT51H, 2d3h",
            "PT191H59M, 7d23h",
            "PT192H, 8d",
            "PT1080H, 45d",
            "PT17519H, 729d",
            "PT17520H, 2y",
            "PT17544H, 2y1d",
            "PT70079H, 7y364d",
            "PT70080H, 8y",
            "PT876000H, 100y",
    })
    void formatsAsKubernetesDoes(Duration d, String expected) {
        assertThat(HumanDuration.format(d)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"PT8760000H, 292y", "PT-8760000H, <invalid>"})
    void saturatesLikeGoDurationsBeyond292Years(Duration d, String expected) {
        assertThat(HumanDuration.format(d)).isEqualTo(expected);
    }
}
