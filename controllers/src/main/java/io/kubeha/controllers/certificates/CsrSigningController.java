package io.kubeha.controllers.certificates;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * kube's csrsigning controller for the API server's client signers (kubernetes.io/kube-apiserver-client-kubelet and
 * kubernetes.io/kube-apiserver-client) and the node agents' serving signer (kubernetes.io/kubelet-serving, whose
 * certificates carry the CSR's DNS and IP SANs): an approved, not yet issued request gets a certificate from the
 * cluster CA, for its expirationSeconds (one year at most, kube's --cluster-signing-duration). As kube's signers, a
 * request whose usages do not fit its signer is not signed (kubelet-serving: server auth; the client signers: client
 * auth; digital signature and key encipherment allowed beside).
 */
public final class CsrSigningController extends InformerController {
    public static final String NAME = "csrsigning";
    private static final Logger log = LoggerFactory.getLogger(CsrSigningController.class);
    private static final Set<String> SIGNERS = Set.of(CsrApprovingController.KUBELET_CLIENT, "kubernetes.io/kube-apiserver-client",
            CsrApprovingController.KUBELET_SERVING);
    static final Duration MAX = Duration.ofDays(365);

    private final CsrSigner signer;
    private SharedIndexInformer<CertificateSigningRequest> csrs;

    public CsrSigningController(ControllerContext ctx, CsrSigner signer) {
        super(ctx);
        this.signer = signer;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        csrs = inform(ctx.client().certificates().v1().certificateSigningRequests(),
                enqueueing((CertificateSigningRequest c) -> List.of(c.getMetadata().getName())));
    }

    @Override
    public Duration reconcile(String name) {
        CertificateSigningRequest csr = csrs.getStore().getByKey(name);
        if (signer == null || csr == null || csr.getSpec() == null || !SIGNERS.contains(csr.getSpec().getSignerName())) return null;
        var status = csr.getStatus();
        if (status == null || status.getConditions() == null) return null;
        boolean approved = status.getConditions().stream().anyMatch(c -> c.getType().equals("Approved") && "True".equals(c.getStatus()));
        boolean stopped = status.getConditions().stream().anyMatch(c -> c.getType().equals("Denied") || c.getType().equals("Failed"));
        if (!approved || stopped || (status.getCertificate() != null && !status.getCertificate().isEmpty())) return null;
        List<String> usages = csr.getSpec().getUsages() == null ? List.of() : csr.getSpec().getUsages();
        String main = CsrApprovingController.KUBELET_SERVING.equals(csr.getSpec().getSignerName()) ? "server auth" : "client auth";
        if (!usages.contains(main) || !Set.of("digital signature", "key encipherment", main).containsAll(usages)) {
            log.warn("csr {}: usages {} do not fit signer {}; not signed", name, usages, csr.getSpec().getSignerName());
            return null;
        }
        Integer seconds = csr.getSpec().getExpirationSeconds();
        Duration validity = seconds == null ? MAX : Duration.ofSeconds(Math.min(seconds, MAX.toSeconds()));
        String pem;
        try {
            pem = signer.sign(new String(Base64.getDecoder().decode(csr.getSpec().getRequest()), StandardCharsets.UTF_8),
                    csr.getSpec().getUsages() == null ? List.of() : csr.getSpec().getUsages(), validity);
        } catch (RuntimeException e) {
            log.warn("csr {}: cannot sign: {}", name, e.getMessage());
            return null;
        }
        ctx.checkActing();
        try {
            ctx.client().certificates().v1().certificateSigningRequests().withName(name).editStatus(c -> {
                c.getStatus().setCertificate(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8)));
                return c;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) return Duration.ofMillis(200);
            throw e;
        }
        log.info("csr {}: issued a certificate for {} valid {}", name, csr.getSpec().getUsername(), validity);
        return null;
    }
}
