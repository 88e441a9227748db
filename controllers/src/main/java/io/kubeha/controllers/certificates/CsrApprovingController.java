package io.kubeha.controllers.certificates;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;
import io.kubeha.security.pki.Csrs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * kube's csrapproving controller: a CSR for signer kubernetes.io/kube-apiserver-client-kubelet that asks for a node's
 * client certificate (CN system:node:NAME, O system:nodes, usages within digital signature, key encipherment, client
 * auth) is approved when a SubjectAccessReview allows its requestor to create certificatesigningrequests/nodeclient
 * (a new node, with a bootstrap token) or /selfnodeclient (a node renewing the certificate it is). Others wait for a
 * person ({@code kubectl certificate approve}).
 */
public final class CsrApprovingController extends InformerController {
    public static final String NAME = "csrapproving";
    static final String KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet";
    private static final Logger log = LoggerFactory.getLogger(CsrApprovingController.class);
    private static final Set<String> ALLOWED_USAGES = Set.of("digital signature", "key encipherment", "client auth");

    private SharedIndexInformer<CertificateSigningRequest> csrs;

    public CsrApprovingController(ControllerContext ctx) {
        super(ctx);
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
        if (csr == null || csr.getSpec() == null || !KUBELET_CLIENT.equals(csr.getSpec().getSignerName())) return null;
        if (decided(csr)) return null;
        Csrs.CsrInfo info;
        try {
            info = Csrs.parse(new String(Base64.getDecoder().decode(csr.getSpec().getRequest()), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return null; // the API server validated it; a CSR we cannot read is left to a person
        }
        List<String> usages = csr.getSpec().getUsages() == null ? List.of() : csr.getSpec().getUsages();
        boolean nodeClient = info.commonName().startsWith("system:node:") && info.commonName().length() > "system:node:".length()
                && info.organizations().equals(List.of("system:nodes")) && usages.contains("client auth")
                && ALLOWED_USAGES.containsAll(usages) && info.dnsNames().isEmpty() && info.ips().isEmpty();
        if (!nodeClient) return null;
        String subresource = info.commonName().equals(csr.getSpec().getUsername()) ? "selfnodeclient" : "nodeclient";
        SubjectAccessReview review = ctx.client().resource(new SubjectAccessReviewBuilder().withNewSpec()
                .withUser(csr.getSpec().getUsername()).withUid(csr.getSpec().getUid()).withGroups(csr.getSpec().getGroups())
                .withNewResourceAttributes().withGroup("certificates.k8s.io").withResource("certificatesigningrequests")
                .withSubresource(subresource).withVerb("create").endResourceAttributes().endSpec().build()).create();
        if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAllowed())) {
            log.info("csr {}: {} may not create certificatesigningrequests/{}; left for a person to approve", name,
                    csr.getSpec().getUsername(), subresource);
            return null;
        }
        ctx.checkActing();
        CertificateSigningRequestCondition approved = new CertificateSigningRequestConditionBuilder().withType("Approved").withStatus("True")
                .withReason("AutoApproved").withMessage("Auto approving kubelet client certificate after SubjectAccessReview.").build();
        ctx.client().certificates().v1().certificateSigningRequests().withName(name).approve(approved);
        log.info("csr {}: approved the client certificate of {} for {}", name, info.commonName(), csr.getSpec().getUsername());
        return null;
    }

    static boolean decided(CertificateSigningRequest csr) {
        if (csr.getStatus() == null || csr.getStatus().getConditions() == null) return false;
        return csr.getStatus().getConditions().stream().anyMatch(c -> Set.of("Approved", "Denied").contains(c.getType()));
    }
}
