package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kubelet's token manager rules: a projected token is asked for bound to its pod, kept while fresh, asked for
 * again past 80% of its life (or 24 hours), and a failed refresh keeps the old token in the file. The token source
 * is a function standing for the API server's serviceaccounts/token (the e2e ServiceAccountTokensIT uses the real one).
 */
class TokensTest {
    @TempDir
    Path dir;

    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final List<TokenRequest> asked = new ArrayList<>();
    private boolean failing;

    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    private final Tokens tokens = new Tokens((ns, sa, req) -> {
        if (failing) throw new IllegalStateException("the API server is down");
        asked.add(req);
        return new TokenRequestBuilder(req).withNewStatus().withToken("token-" + asked.size() + "-" + ns + "-" + sa)
                .withExpirationTimestamp(now.plusSeconds(req.getSpec().getExpirationSeconds()).toString()).endStatus().build();
    }, clock);

    private final Pod pod = new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").withUid("u-1").endMetadata()
            .withNewSpec().withServiceAccountName("robot").endSpec().build();

    @Test
    void aTokenIsBoundToItsPodAndRefreshedPastEightyPercentOfItsLife() throws Exception {
        Path file = dir.resolve("token");
        Tokens.Projection p = new Tokens.Projection(file, "shop", "robot", "vault", 3600, 0644);
        String first = tokens.issue(p, pod);
        Files.writeString(file, first);
        tokens.written(p);
        assertThat(first).isEqualTo("token-1-shop-robot");
        TokenRequest req = asked.getFirst();
        assertThat(req.getSpec().getBoundObjectRef().getKind()).isEqualTo("Pod");
        assertThat(req.getSpec().getBoundObjectRef().getName()).isEqualTo("web");
        assertThat(req.getSpec().getBoundObjectRef().getUid()).isEqualTo("u-1");
        assertThat(req.getSpec().getAudiences()).containsExactly("vault");
        assertThat(req.getSpec().getExpirationSeconds()).isEqualTo(3600);

        // a second container mounting the same volume gets the same token
        assertThat(tokens.issue(p, pod)).isEqualTo(first);

        now = now.plus(Duration.ofMinutes(47)); // 78%: still fresh
        tokens.refresh(pod);
        assertThat(asked).hasSize(1);
        assertThat(Files.readString(file)).isEqualTo(first);

        now = now.plus(Duration.ofMinutes(2)); // 82%
        tokens.refresh(pod);
        assertThat(asked).hasSize(2);
        assertThat(Files.readString(file)).isEqualTo("token-2-shop-robot");
    }

    @Test
    void aFailedRefreshKeepsTheOldTokenAndIsTriedAgain() throws Exception {
        Path file = dir.resolve("token");
        Tokens.Projection p = new Tokens.Projection(file, "shop", "robot", "", 600, 0644);
        Files.writeString(file, tokens.issue(p, pod));
        tokens.written(p);
        assertThat(asked.getFirst().getSpec().getAudiences()).isNullOrEmpty(); // the API server's own audience

        now = now.plusSeconds(500);
        failing = true;
        tokens.refresh(pod);
        assertThat(Files.readString(file)).isEqualTo("token-1-shop-robot");
        failing = false;
        tokens.refresh(pod);
        assertThat(Files.readString(file)).isEqualTo("token-2-shop-robot");
    }

    @Test
    void tokensOfAnAdoptedPodAreAskedForAtOnce() throws Exception {
        // an agent restarted: the files are there, what it asked for is not remembered
        Path volume = Files.createDirectories(dir.resolve("volumes").resolve("kube-api-access-x"));
        Files.writeString(volume.resolve("token"), "old");
        Pod withVolume = new PodBuilder(pod).editSpec().addNewVolume().withName("kube-api-access-x").withNewProjected()
                .addNewSource().withNewServiceAccountToken().withPath("token").withExpirationSeconds(3607L).endServiceAccountToken().endSource()
                .endProjected().endVolume().endSpec().build();
        Volumes.tokenProjections(withVolume, dir).forEach(tokens::written);
        tokens.refresh(withVolume);
        assertThat(Files.readString(volume.resolve("token"))).isEqualTo("token-1-shop-robot");
        assertThat(asked.getFirst().getSpec().getExpirationSeconds()).isEqualTo(3607);
        assertThat(Map.of("files", List.of(volume.toFile().list()))).isEqualTo(Map.of("files", List.of("token")));
    }
}
