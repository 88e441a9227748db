package io.kubeha.agent.certificates;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.security.pki.CertAndKey;
import io.kubeha.security.pki.Csrs;
import io.kubeha.security.pki.Pem;
import io.kubeha.security.pki.ReloadingKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The kubelet's certificate manager, for one certificate (the agent's client certificate, or its serving
 * certificate): keeps the current one in a {@link ReloadingKeyManager}, and at a jittered 70-90% of its lifetime
 * asks for a new one with a certificates.k8s.io/v1 CertificateSigningRequest (a new ECDSA P-256 key each time, name
 * {@code csr-...}) made with the agent's current credentials, waits until it is approved and issued, keeps it
 * ({@code save}) and hands it to the key manager, so new connections use it at once, without a restart. Without a
 * certificate yet (a serving certificate at first start) it asks at once. A request that fails or is denied is asked
 * again after a back-off (5 s doubling to 5 minutes) while the current certificate lasts.
 * <p>
 * {@code renewBefore} (a hidden agent option, for tests) makes renewal due earlier: at the jittered deadline or
 * {@code renewBefore} before the end, whichever comes first. {@code expirationSeconds} asks the signer for that
 * lifetime (kube requires at least 600).
 * <p>
 * Self-approval (serving certificates only, {@code selfApprove}): an agent that runs as a node is approved by the
 * controller-manager's csrapproving. An agent that runs with another identity (the admin kubeconfig in tests) is
 * not a node, so nothing approves its request; it approves its own request if a SelfSubjectAccessReview says it may
 * (update certificatesigningrequests/approval, and approve on signers/kubernetes.io/kubelet-serving), as a person
 * with those rights could with {@code kubectl certificate approve}.
 */
public final class CertificateManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateManager.class);
    private static final Duration MIN_BACKOFF = Duration.ofSeconds(5);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    /** How long one request may wait to be approved and signed before it is asked again. */
    private static final Duration WAIT = Duration.ofMinutes(15);

    /**
     * What to ask for.
     *
     * @param expirationSeconds the lifetime asked (null: the signer's default)
     * @param renewBefore       renew at the latest this long before the end (null: only the jittered deadline)
     */
    public record Spec(String what, String signerName, String commonName, List<String> organizations, List<String> dnsNames,
                       List<InetAddress> ips, List<String> usages, Integer expirationSeconds, Duration renewBefore, boolean selfApprove) {
        public Spec {
            organizations = List.copyOf(organizations);
            dnsNames = List.copyOf(dnsNames);
            ips = List.copyOf(ips);
            usages = List.copyOf(usages);
            if (expirationSeconds != null && expirationSeconds < 600) {
                throw new IllegalArgumentException("a certificate's requested lifetime must be at least 600 seconds (10 minutes), as kube requires");
            }
        }
    }

    private final KubernetesClient client;
    private final Spec spec;
    private final ReloadingKeyManager keys;
    private final Consumer<CertAndKey> save;
    private volatile Thread thread;
    private volatile boolean closed;

    /**
     * @param client the agent's API client (its current credentials ask for the next certificate)
     * @param keys   holds the current certificate (maybe none yet); every new one is set into it
     * @param save   keeps a new certificate and its key (written 0600), called before it is used
     */
    public CertificateManager(KubernetesClient client, Spec spec, ReloadingKeyManager keys, Consumer<CertAndKey> save) {
        this.client = Objects.requireNonNull(client);
        this.spec = spec;
        this.keys = keys;
        this.save = save;
    }

    public CertificateManager start() {
        thread = Thread.ofVirtual().name("certificate-manager-" + spec.what()).start(this::run);
        return this;
    }

    /** The current certificate, or null. */
    public X509Certificate current() {
        return keys.certificate();
    }

    /** When the current certificate is to be renewed: a jittered 70-90% of its lifetime, or earlier with renewBefore. */
    public static Instant deadline(X509Certificate cert, Duration renewBefore) {
        Instant from = cert.getNotBefore().toInstant();
        Instant to = cert.getNotAfter().toInstant();
        long total = Duration.between(from, to).toMillis();
        double fraction = 0.7 + 0.2 * ThreadLocalRandom.current().nextDouble();
        Instant d = from.plusMillis((long) (total * fraction));
        if (renewBefore != null) {
            Instant early = to.minus(renewBefore);
            if (early.isBefore(d)) d = early;
        }
        return d;
    }

    private void run() {
        Duration backoff = MIN_BACKOFF;
        while (!closed) {
            X509Certificate cert = keys.certificate();
            try {
                if (cert != null) {
                    Instant due = deadline(cert, spec.renewBefore());
                    long wait = Duration.between(Instant.now(), due).toMillis();
                    if (wait > 0) {
                        LOG.info("{} certificate (serial {}) valid until {}, renewal at {}", spec.what(), cert.getSerialNumber().toString(16),
                                cert.getNotAfter().toInstant(), due);
                        Thread.sleep(wait);
                    }
                }
                if (closed) return;
                CertAndKey next = request();
                save.accept(next);
                keys.set(next);
                LOG.info("{} certificate {}: serial {}, valid until {}", spec.what(), cert == null ? "issued" : "renewed",
                        next.cert().getSerialNumber().toString(16), next.cert().getNotAfter().toInstant());
                backoff = MIN_BACKOFF;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (closed) return;
                LOG.warn("cannot get a {} certificate (asking again in {}s): {}", spec.what(), backoff.toSeconds(), e.getMessage());
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /** One CSR, approved (by the controller-manager, or by the agent itself when it may) and signed. */
    private CertAndKey request() throws InterruptedException {
        KeyPair key = Csrs.newEcKey();
        String pem = Csrs.create(key, spec.commonName(), spec.organizations(), spec.dnsNames(), spec.ips());
        var csrs = client.certificates().v1().certificateSigningRequests();
        CertificateSigningRequest created = csrs.resource(new CertificateSigningRequestBuilder().withNewMetadata().withGenerateName("csr-")
                .endMetadata().withNewSpec().withRequest(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8)))
                .withSignerName(spec.signerName()).withUsages(spec.usages()).withExpirationSeconds(spec.expirationSeconds())
                .endSpec().build()).create();
        String name = created.getMetadata().getName();
        LOG.info("asked for a {} certificate of {} (csr {}, signer {})", spec.what(), spec.commonName(), name, spec.signerName());
        if (spec.selfApprove() && mayApprove()) {
            csrs.withName(name).approve(new CertificateSigningRequestConditionBuilder().withType("Approved").withStatus("True")
                    .withReason("SelfApproved").withMessage("Approved by the node agent, whose identity may approve "
                            + spec.signerName() + " requests").build());
            LOG.info("csr {}: approved it myself (this agent's identity may approve {} requests)", name, spec.signerName());
        }
        Instant deadline = Instant.now().plus(WAIT);
        while (!closed) {
            CertificateSigningRequest csr = csrs.withName(name).get();
            if (csr == null) throw new IllegalStateException("csr " + name + " was deleted before it was issued");
            if (csr.getStatus() != null) {
                if (csr.getStatus().getConditions() != null) {
                    for (var c : csr.getStatus().getConditions()) {
                        if (c.getType().equals("Denied") || c.getType().equals("Failed")) {
                            throw new IllegalStateException("csr " + name + " was " + c.getType().toLowerCase() + ": " + c.getMessage());
                        }
                    }
                }
                String issued = csr.getStatus().getCertificate();
                if (issued != null && !issued.isEmpty()) {
                    X509Certificate cert = Pem.certs(new String(Base64.getDecoder().decode(issued), StandardCharsets.UTF_8)).getFirst();
                    if (!cert.getPublicKey().equals(key.getPublic())) throw new IllegalStateException("csr " + name + " was issued for another key");
                    return new CertAndKey(cert, key.getPrivate());
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("csr " + name + " was not approved and signed within " + WAIT.toMinutes()
                        + " minutes (approve it: kubectl certificate approve " + name + ")");
            }
            Thread.sleep(1000);
        }
        throw new InterruptedException("closed");
    }

    private boolean mayApprove() {
        try {
            return allowed("certificates.k8s.io", "certificatesigningrequests", "approval", "update", null)
                    && allowed("certificates.k8s.io", "signers", null, "approve", spec.signerName());
        } catch (RuntimeException e) {
            LOG.debug("cannot ask whether I may approve: {}", e.toString());
            return false;
        }
    }

    private boolean allowed(String group, String resource, String subresource, String verb, String name) {
        SelfSubjectAccessReview r = client.resource(new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
                .withGroup(group).withResource(resource).withSubresource(subresource).withVerb(verb).withName(name)
                .endResourceAttributes().endSpec().build()).create();
        return r.getStatus() != null && Boolean.TRUE.equals(r.getStatus().getAllowed());
    }

    @Override
    public void close() {
        closed = true;
        Thread t = thread;
        if (t != null) t.interrupt();
    }
}
