package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestSpec;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatus;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.Json;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.nz;

/**
 * certificates.k8s.io/v1 CertificateSigningRequests, as kube-apiserver 1.33's strategies and validation
 * (pkg/registry/certificates/certificates/strategy.go, pkg/apis/certificates/validation):
 * <ul>
 *   <li>create: the status is emptied (no pre-approved requests); spec.request must be a PEM
 *       "CERTIFICATE REQUEST" whose PKCS#10 parses and whose signature verifies; signerName a qualified
 *       {@code example.com/name}; usages from kube's list, once each; expirationSeconds at least 600;</li>
 *   <li>update of the object: spec and status are the stored ones (only metadata changes), as kube does it
 *       silently rather than refusing;</li>
 *   <li>{@code status}: spec is kept, Approved and Denied conditions are the stored ones (adding or removing
 *       them is refused), status.certificate may be set once and must be PEM CERTIFICATE blocks;</li>
 *   <li>{@code approval}: spec and status.certificate are kept, only conditions change; Approved and Denied
 *       exclude each other; no Approved, Denied or Failed condition may be removed.</li>
 * </ul>
 * Condition timestamps the writer left out are filled in on status and approval updates.
 *
 * <p>spec.username, uid, groups and extra are the requesting user's in kube (its PrepareForCreate overwrites
 * whatever the client sent). This server has no authenticated user yet: the fields are kept as sent, and
 * {@link #setRequestor} is the hook the create path calls once it knows who asks.
 */
public final class CsrRules extends KindRules<CertificateSigningRequest> {
    static final String LEGACY_UNKNOWN_SIGNER = "kubernetes.io/legacy-unknown";

    /** kube's allValidUsages, in the sorted order its "supported values" lists them. */
    static final List<String> USAGES = List.copyOf(new TreeSet<>(List.of(
            "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
            "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
            "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
            "microsoft sgc", "netscape sgc")));

    private static final Set<String> TRUE_ONLY = Set.of("Approved", "Denied", "Failed");
    private static final Path SPEC = Path.of("spec");
    private static final Path CONDITIONS = Path.of("status", "conditions");

    CsrRules() {
        super(false, NameRule.ANY);
    }

    /**
     * Sets who asked for the certificate on a CSR being created, as kube's PrepareForCreate does from the
     * request's user: spec.username, spec.uid, spec.groups and spec.extra are replaced (a null or empty value
     * removes the field), whatever the client sent. To be called by the create path once requests carry an
     * authenticated user, before admission (it works on the decoded request body).
     */
    public static void setRequestor(ObjectNode csr, String username, String uid, List<String> groups,
                                    Map<String, List<String>> extra) {
        ObjectNode spec = csr.get("spec") instanceof ObjectNode s ? s : csr.putObject("spec");
        for (String f : new String[] {"username", "uid", "groups", "extra"}) spec.remove(f);
        if (username != null && !username.isEmpty()) spec.put("username", username);
        if (uid != null && !uid.isEmpty()) spec.put("uid", uid);
        if (groups != null && !groups.isEmpty()) {
            ArrayNode g = spec.putArray("groups");
            groups.forEach(g::add);
        }
        if (extra != null && !extra.isEmpty()) {
            ObjectNode e = spec.putObject("extra");
            extra.forEach((k, v) -> {
                ArrayNode a = e.putArray(k);
                if (v != null) v.forEach(a::add);
            });
        }
    }

    // ------------------------------------------------------------------ defaults and preparation

    /** v1 defaults: a condition without status is True. */
    @Override
    public void applyDefaults(CertificateSigningRequest csr) {
        if (csr.getStatus() == null) return;
        for (CertificateSigningRequestCondition c : list(csr.getStatus().getConditions())) {
            if (c != null && nz(c.getStatus()).isEmpty()) c.setStatus("True");
        }
    }

    /** Users cannot create pre-approved (or pre-issued) requests. */
    @Override
    public void prepareForCreate(CertificateSigningRequest csr) {
        csr.setStatus(new CertificateSigningRequestStatus());
    }

    /** Requests are immutable after creation except through status and approval: spec and status are the stored ones. */
    @Override
    void prepareKindUpdate(CertificateSigningRequest csr, CertificateSigningRequest old) {
        csr.setSpec(copy(old.getSpec(), CertificateSigningRequestSpec.class));
        csr.setStatus(copy(old.getStatus(), CertificateSigningRequestStatus.class));
    }

    @Override
    public void prepareForSubresourceUpdate(String subresource, CertificateSigningRequest csr, CertificateSigningRequest old) {
        keepServerOwnedMeta(csr, old);
        CertificateSigningRequestStatus oldStatus = old.getStatus() == null ? new CertificateSigningRequestStatus() : old.getStatus();
        if (csr.getStatus() == null) csr.setStatus(new CertificateSigningRequestStatus());
        applyDefaults(csr);
        switch (subresource) {
            case "status" -> {
                csr.setSpec(copy(old.getSpec(), CertificateSigningRequestSpec.class));
                preserveConditions(csr, old, "Approved");
                preserveConditions(csr, old, "Denied");
                populateTimestamps(csr, old);
            }
            case "approval" -> {
                populateTimestamps(csr, old);
                List<CertificateSigningRequestCondition> conditions = csr.getStatus().getConditions();
                csr.setSpec(copy(old.getSpec(), CertificateSigningRequestSpec.class));
                CertificateSigningRequestStatus status = copy(oldStatus, CertificateSigningRequestStatus.class);
                status.setConditions(conditions);
                csr.setStatus(status);
            }
            default -> { }
        }
    }

    private static void keepServerOwnedMeta(CertificateSigningRequest csr, CertificateSigningRequest old) {
        if (csr.getMetadata() == null || old.getMetadata() == null) return;
        if (!Meta.notEmpty(csr.getMetadata().getUid())) csr.getMetadata().setUid(old.getMetadata().getUid());
    }

    /** kube's preserveConditionInstances: the stored instances of a type, when the writer kept their number. */
    private static void preserveConditions(CertificateSigningRequest csr, CertificateSigningRequest old, String type) {
        List<CertificateSigningRequestCondition> now = list(csr.getStatus().getConditions());
        List<CertificateSigningRequestCondition> before = conditions(old);
        List<Integer> newIdx = indices(now, type);
        List<Integer> oldIdx = indices(before, type);
        if (newIdx.size() != oldIdx.size()) return;
        for (int i = 0; i < newIdx.size(); i++) {
            now.set(newIdx.get(i), copy(before.get(oldIdx.get(i)), CertificateSigningRequestCondition.class));
        }
    }

    private static List<Integer> indices(List<CertificateSigningRequestCondition> l, String type) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) if (l.get(i) != null && type.equals(l.get(i).getType())) out.add(i);
        return out;
    }

    /** kube's populateConditionTimestamps: lastUpdateTime now; lastTransitionTime kept from a same type and status. */
    private static void populateTimestamps(CertificateSigningRequest csr, CertificateSigningRequest old) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        for (CertificateSigningRequestCondition c : list(csr.getStatus().getConditions())) {
            if (c == null) continue;
            if (!Meta.notEmpty(c.getLastUpdateTime())) c.setLastUpdateTime(now);
            if (!Meta.notEmpty(c.getLastTransitionTime())) {
                String transition = now;
                for (CertificateSigningRequestCondition o : conditions(old)) {
                    if (o != null && Objects.equals(o.getType(), c.getType()) && Objects.equals(o.getStatus(), c.getStatus())
                            && Meta.notEmpty(o.getLastTransitionTime())) {
                        transition = o.getLastTransitionTime();
                        break;
                    }
                }
                c.setLastTransitionTime(transition);
            }
        }
    }

    // ------------------------------------------------------------------ validation

    /** What kube lets through for compatibility, and what each write path may set. */
    private record Options(boolean approvalConditions, boolean certificate, boolean bothApprovedAndDenied, boolean legacySigner,
                           boolean duplicateConditionTypes, boolean emptyConditionType, boolean arbitraryCertificate,
                           boolean unknownUsages, boolean duplicateUsages) {
        static Options of(CertificateSigningRequest csr, CertificateSigningRequest old, boolean approvalConditions, boolean certificate) {
            if (old == null) return new Options(approvalConditions, certificate, false, false, false, false, false, false, false);
            List<CertificateSigningRequestCondition> oc = conditions(old);
            boolean approved = oc.stream().anyMatch(c -> c != null && "Approved".equals(c.getType()));
            boolean denied = oc.stream().anyMatch(c -> c != null && "Denied".equals(c.getType()));
            Set<String> seen = new HashSet<>();
            boolean dupTypes = false;
            for (CertificateSigningRequestCondition c : oc) if (c != null && !seen.add(nz(c.getType()))) dupTypes = true;
            boolean emptyType = oc.stream().anyMatch(c -> c != null && nz(c.getType()).isEmpty());
            boolean sameCert = java.util.Arrays.equals(certificateBytes(csr), certificateBytes(old));
            boolean arbitrary = sameCert || validateCertificate(certificateBytes(old)) != null;
            List<String> ou = usages(old);
            boolean unknown = ou.stream().anyMatch(u -> !USAGES.contains(u));
            boolean dupUsages = new HashSet<>(ou).size() != ou.size();
            String signer = old.getSpec() == null ? "" : nz(old.getSpec().getSignerName());
            return new Options(approvalConditions, certificate, approved && denied, signer.equals(LEGACY_UNKNOWN_SIGNER), dupTypes,
                    emptyType, arbitrary, unknown, dupUsages);
        }
    }

    @Override
    List<FieldError> validateKind(CertificateSigningRequest csr) {
        return validate(csr, Options.of(csr, null, false, false));
    }

    @Override
    List<FieldError> validateKindUpdate(CertificateSigningRequest csr, CertificateSigningRequest old) {
        return validateUpdate(csr, old, Options.of(csr, old, false, false));
    }

    @Override
    public List<FieldError> validateSubresourceUpdate(String subresource, CertificateSigningRequest csr, CertificateSigningRequest old) {
        Options o = Options.of(csr, old, "approval".equals(subresource), "status".equals(subresource));
        List<FieldError> errs = new ArrayList<>(validateUpdate(csr, old, o));
        errs.addAll(Meta.validateUpdate(csr.getMetadata(), old.getMetadata(), false));
        return List.copyOf(new LinkedHashSet<>(errs));
    }

    private static List<FieldError> validate(CertificateSigningRequest csr, Options o) {
        List<FieldError> errs = new ArrayList<>();
        CertificateSigningRequestSpec spec = csr.getSpec() == null ? new CertificateSigningRequestSpec() : csr.getSpec();
        byte[] request = decode(spec.getRequest());
        String problem = validateRequest(request);
        if (problem != null) errs.add(Errs.invalidRaw(SPEC.child("request"), Go.bytes(request), problem));
        List<String> usages = list(spec.getUsages());
        if (usages.isEmpty()) errs.add(Errs.required(SPEC.child("usages")));
        if (!o.unknownUsages()) {
            for (int i = 0; i < usages.size(); i++) {
                if (!USAGES.contains(nz(usages.get(i)))) errs.add(Errs.notSupported(SPEC.child("usages").index(i), nz(usages.get(i)), USAGES));
            }
        }
        if (!o.duplicateUsages()) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < usages.size(); i++) {
                if (!seen.add(nz(usages.get(i)))) errs.add(Errs.duplicate(SPEC.child("usages").index(i), nz(usages.get(i))));
            }
        }
        String signer = nz(spec.getSignerName());
        if (!o.legacySigner() && signer.equals(LEGACY_UNKNOWN_SIGNER)) {
            errs.add(Errs.invalid(SPEC.child("signerName"), signer, "the legacy signerName is not allowed via this API version"));
        } else {
            errs.addAll(signerName(SPEC.child("signerName"), signer));
        }
        Integer exp = spec.getExpirationSeconds();
        if (exp != null && exp < 600) {
            errs.add(Errs.invalid(SPEC.child("expirationSeconds"), exp, "may not specify a duration less than 600 seconds (10 minutes)"));
        }
        errs.addAll(conditions(csr, o));
        if (!o.arbitraryCertificate()) {
            String bad = validateCertificate(certificateBytes(csr));
            if (bad != null) errs.add(Errs.invalid(Path.of("status", "certificate"), "<certificate data>", bad));
        }
        return errs;
    }

    private static List<FieldError> conditions(CertificateSigningRequest csr, Options o) {
        List<FieldError> errs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        boolean approved = false;
        boolean denied = false;
        List<CertificateSigningRequestCondition> l = conditions(csr);
        for (int i = 0; i < l.size(); i++) {
            CertificateSigningRequestCondition c = l.get(i) == null ? new CertificateSigningRequestCondition() : l.get(i);
            Path p = CONDITIONS.index(i);
            String type = nz(c.getType());
            String status = nz(c.getStatus());
            if (!o.emptyConditionType() && type.isEmpty()) errs.add(Errs.required(p.child("type")));
            List<String> allowed = TRUE_ONLY.contains(type) ? List.of("True") : List.of("False", "True", "Unknown");
            if (status.isEmpty()) errs.add(Errs.required(p.child("status")));
            else if (!allowed.contains(status)) errs.add(Errs.notSupported(p.child("status"), status, allowed));
            if (!o.bothApprovedAndDenied()) {
                if (type.equals("Approved")) {
                    approved = true;
                    if (denied) errs.add(Errs.invalid(p.child("type"), type, "Approved and Denied conditions are mutually exclusive"));
                } else if (type.equals("Denied")) {
                    denied = true;
                    if (approved) errs.add(Errs.invalid(p.child("type"), type, "Approved and Denied conditions are mutually exclusive"));
                }
            }
            if (!o.duplicateConditionTypes() && !seen.add(type)) errs.add(Errs.duplicate(p.child("type"), type));
        }
        return errs;
    }

    private static List<FieldError> validateUpdate(CertificateSigningRequest csr, CertificateSigningRequest old, Options o) {
        List<FieldError> errs = validate(csr, o);
        for (String t : List.of("Approved", "Denied", "Failed")) {
            if (find(csr, t).size() < find(old, t).size()) {
                errs.add(Errs.forbidden(CONDITIONS, "updates may not remove a condition of type " + Go.quote(t)));
            }
        }
        if (!o.approvalConditions()) {
            for (String t : List.of("Approved", "Denied")) {
                List<CertificateSigningRequestCondition> before = find(old, t);
                List<CertificateSigningRequestCondition> now = find(csr, t);
                if (now.size() > before.size()) {
                    errs.add(Errs.forbidden(CONDITIONS, "updates may not add a condition of type " + Go.quote(t)));
                } else if (now.size() == before.size() && !Json.tree(now).equals(Json.tree(before))) {
                    errs.add(Errs.forbidden(CONDITIONS, "updates may not modify a condition of type " + Go.quote(t) + "\n"
                            + Diff.of(Json.tree(before), Json.tree(now), "conditions")));
                }
            }
        }
        if (!java.util.Arrays.equals(certificateBytes(csr), certificateBytes(old))) {
            if (!o.certificate()) {
                errs.add(Errs.forbidden(Path.of("status", "certificate"), "updates may not set certificate content"));
            } else if (certificateBytes(old).length > 0) {
                errs.add(Errs.forbidden(Path.of("status", "certificate"), "updates may not modify existing certificate content"));
            }
        }
        return errs;
    }

    /**
     * kube's ValidateSignerName: {@code <fqdn>/<path>}, the domain DNS labels with at least one dot, the path
     * DNS subdomains separated by dots, 571 characters in all.
     */
    static List<FieldError> signerName(Path p, String name) {
        List<FieldError> errs = new ArrayList<>();
        if (name.isEmpty()) {
            errs.add(Errs.required(p));
            return errs;
        }
        String[] segments = name.split("/", -1);
        if (segments.length != 2) {
            errs.add(Errs.invalid(p, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
            return errs;
        }
        if (segments[0].length() > 253) errs.add(Errs.tooLong(p, 253));
        String[] domain = segments[0].split("\\.", -1);
        for (String label : domain) {
            List<String> bad = Names.dns1123Label(label);
            if (!bad.isEmpty()) {
                for (String m : bad) errs.add(Errs.invalid(p, segments[0], "validating label " + Go.quote(label) + ": " + m));
                break;
            }
        }
        if (domain.length < 2) errs.add(Errs.invalid(p, segments[0], "should be a domain with at least two segments separated by dots"));
        for (String label : segments[1].split("\\.", -1)) {
            List<String> bad = Names.dns1123Subdomain(label);
            if (!bad.isEmpty()) {
                for (String m : bad) errs.add(Errs.invalid(p, segments[1], "validating label " + Go.quote(label) + ": " + m));
                break;
            }
        }
        int max = 253 + (253 + 63 + 1) + 1;
        if (name.length() > max) errs.add(Errs.tooLong(p, max));
        return errs;
    }

    // ------------------------------------------------------------------ PEM and PKCS#10

    /** One PEM block, as Go's encoding/pem finds it. */
    record Pem(String type, boolean headers, byte[] der) {}

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([^\\r\\n-]*)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);

    /** The PEM blocks of {@code data}, in order; text between them is skipped as Go's pem.Decode skips it. */
    static List<Pem> pemBlocks(byte[] data) {
        List<Pem> out = new ArrayList<>();
        Matcher m = PEM.matcher(new String(data, StandardCharsets.ISO_8859_1));
        while (m.find()) {
            String body = m.group(2);
            boolean headers = false;
            int blank = body.indexOf("\n\n");
            if (body.lines().findFirst().orElse("").contains(":")) {
                headers = true;
                body = blank < 0 ? "" : body.substring(blank + 2);
            }
            try {
                out.add(new Pem(m.group(1), headers, Base64.getMimeDecoder().decode(body.replaceAll("\\s", ""))));
            } catch (IllegalArgumentException notBase64) {
                break; // Go's decoder stops at a block it cannot read
            }
        }
        return out;
    }

    /** kube's ParseCSR and CheckSignature; null when the request is good, else the message kube gives. */
    static String validateRequest(byte[] request) {
        List<Pem> blocks = pemBlocks(request);
        if (blocks.isEmpty() || !blocks.getFirst().type().equals("CERTIFICATE REQUEST")) return "PEM block type must be CERTIFICATE REQUEST";
        PKCS10CertificationRequest csr;
        try {
            csr = new PKCS10CertificationRequest(blocks.getFirst().der());
        } catch (Exception e) {
            return "x509: malformed certificate request";
        }
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()))) {
                return "x509: signature verification failure";
            }
        } catch (Exception e) {
            return "x509: cannot verify signature: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        return null;
    }

    /** kube's validateCertificate for status.certificate; null when good (or empty). */
    static String validateCertificate(byte[] pem) {
        if (pem.length == 0) return null;
        List<Pem> blocks = pemBlocks(pem);
        if (blocks.isEmpty()) return "must contain at least one CERTIFICATE PEM block";
        for (Pem b : blocks) {
            if (!b.type().equals("CERTIFICATE")) return "only CERTIFICATE PEM blocks are allowed, found " + Go.quote(b.type());
            if (b.headers()) return "no PEM block headers are permitted";
            try {
                CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(b.der()));
            } catch (CertificateException e) {
                return "x509: malformed certificate";
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ helpers

    private static byte[] decode(String base64) {
        if (base64 == null || base64.isEmpty()) return new byte[0];
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return base64.getBytes(StandardCharsets.UTF_8);
        }
    }

    private static CertificateSigningRequestStatus status(CertificateSigningRequest csr) {
        return csr.getStatus() == null ? new CertificateSigningRequestStatus() : csr.getStatus();
    }

    private static byte[] certificateBytes(CertificateSigningRequest csr) {
        return decode(status(csr).getCertificate());
    }

    private static List<CertificateSigningRequestCondition> conditions(CertificateSigningRequest csr) {
        return list(status(csr).getConditions());
    }

    private static List<String> usages(CertificateSigningRequest csr) {
        return csr.getSpec() == null ? List.of() : list(csr.getSpec().getUsages());
    }

    private static List<CertificateSigningRequestCondition> find(CertificateSigningRequest csr, String type) {
        return conditions(csr).stream().filter(c -> c != null && type.equals(c.getType())).toList();
    }

    private static <T> T copy(T value, Class<T> type) {
        return value == null ? null : Json.convert(Json.tree(value), type);
    }
}
