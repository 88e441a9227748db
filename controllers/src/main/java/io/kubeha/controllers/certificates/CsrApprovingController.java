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
 * <p>
 * <b>Node serving certificates</b> (signer kubernetes.io/kubelet-serving, what the kubelet asks for with
 * serverTLSBootstrap): kube-controller-manager never approves these; kube leaves them to an external approver (a
 * person, or a tool such as kubelet-csr-approver) because the API server cannot tell whether the addresses a node
 * puts in its SANs are really that node's, and a serving certificate for someone else's address lets its holder
 * impersonate that server. kubeha has no such approver and every agent asks for one, so nothing would ever approve
 * them: this controller approves a kubelet-serving CSR when the node asks for itself, i.e. its requestor is that very
 * node (username == CN system:node:NAME, in group system:nodes), O is exactly system:nodes, the SANs are DNS names and
 * IP addresses only (at least one, no email or URI), and the usages are server auth with at most digital signature
 * and key encipherment beside it ({@link #servingRejection}). It trusts the node for its own addresses, which is
 * the judgment an external approver would make; anyone else's serving CSR waits for a person.
 */
public final class CsrApprovingController extends InformerController {
    public static final String NAME = "csrapproving";
    static final String KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet";
    static final String KUBELET_SERVING = "kubernetes.io/kubelet-serving";
    private static final Set<String> SERVING_USAGES = Set.of("digital signature", "key encipherment", "server auth");
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
        if (csr == null || csr.getSpec() == null) return null;
        if (KUBELET_SERVING.equals(csr.getSpec().getSignerName()) && !decided(csr)) return approveServing(name, csr);
        if (!KUBELET_CLIENT.equals(csr.getSpec().getSignerName())) return null;
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

    private Duration approveServing(String name, CertificateSigningRequest csr) {
        String why = servingRejection(csr);
        if (why != null) {
            log.info("csr {}: not approving the serving certificate: {}; left for a person to approve", name, why);
            return null;
        }
        ctx.checkActing();
        CertificateSigningRequestCondition approved = new CertificateSigningRequestConditionBuilder().withType("Approved").withStatus("True")
                .withReason("AutoApproved").withMessage("Auto approving the serving certificate a node asked for itself.").build();
        ctx.client().certificates().v1().certificateSigningRequests().withName(name).approve(approved);
        log.info("csr {}: approved the serving certificate of {}", name, csr.getSpec().getUsername());
        return null;
    }

    /**
     * Why a kubelet-serving CSR is not a node asking for its own serving certificate, or null when it is (see the
     * class comment for the rules).
     */
    static String servingRejection(CertificateSigningRequest csr) {
        var spec = csr.getSpec();
        Csrs.CsrInfo info;
        try {
            info = Csrs.parse(new String(Base64.getDecoder().decode(spec.getRequest()), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return "its request cannot be read: " + e.getMessage();
        }
        String cn = info.commonName();
        if (!cn.startsWith("system:node:") || cn.length() == "system:node:".length()) return "CN " + cn + " is not system:node:NAME";
        if (!cn.equals(spec.getUsername())) return "it was asked for by " + spec.getUsername() + ", not by " + cn + " itself";
        if (spec.getGroups() == null || !spec.getGroups().contains("system:nodes")) return spec.getUsername() + " is not in system:nodes";
        if (!info.organizations().equals(List.of("system:nodes"))) return "its organizations " + info.organizations() + " are not [system:nodes]";
        if (!info.emails().isEmpty() || !info.uris().isEmpty()) return "it names email or URI SANs " + info.emails() + info.uris();
        if (info.dnsNames().isEmpty() && info.ips().isEmpty()) return "it names no DNS name or IP address";
        List<String> usages = spec.getUsages() == null ? List.of() : spec.getUsages();
        if (!usages.contains("server auth") || !SERVING_USAGES.containsAll(usages)) {
            return "its usages " + usages + " are not server auth (with digital signature, key encipherment)";
        }
        return null;
    }

    static boolean decided(CertificateSigningRequest csr) {
        if (csr.getStatus() == null || csr.getStatus().getConditions() == null) return false;
        return csr.getStatus().getConditions().stream().anyMatch(c -> Set.of("Approved", "Denied").contains(c.getType()));
    }
}
