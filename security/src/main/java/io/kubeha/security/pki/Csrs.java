package io.kubeha.security.pki;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;

/** Certificate signing requests: what a joining node sends (kubelet TLS bootstrap), and what the API server checks of one. */
public final class Csrs {
    private Csrs() {}

    /**
     * The subject, SANs and key of a CSR whose own signature verifies. {@code emails} and {@code uris} are the other
     * SANs kube's approvers look at (a node's certificate may have none of them).
     */
    public record CsrInfo(String commonName, List<String> organizations, List<String> dnsNames, List<String> ips, PublicKey publicKey,
                          X500Name subject, List<String> emails, List<String> uris) {}

    public static KeyPair newEcKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String create(KeyPair key, String cn, List<String> orgs, List<String> dnsNames, List<InetAddress> ips) {
        return create(key, cn, orgs, dnsNames, ips, List.of());
    }

    /** The same with email SANs too (which no node certificate has: for checking that approvers refuse them). */
    public static String create(KeyPair key, String cn, List<String> orgs, List<String> dnsNames, List<InetAddress> ips, List<String> emails) {
        X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
        for (String o : orgs) nb.addRDN(BCStyle.O, o);
        nb.addRDN(BCStyle.CN, cn);
        try {
            JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(nb.build(), key.getPublic());
            List<GeneralName> sans = new ArrayList<>();
            for (String d : dnsNames) sans.add(new GeneralName(GeneralName.dNSName, d));
            for (InetAddress ip : ips) sans.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress()));
            for (String e : emails) sans.add(new GeneralName(GeneralName.rfc822Name, e));
            if (!sans.isEmpty()) {
                ExtensionsGenerator eg = new ExtensionsGenerator();
                eg.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
                b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, eg.generate());
            }
            String alg = key.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            PKCS10CertificationRequest csr = b.build(new JcaContentSignerBuilder(alg).build(key.getPrivate()));
            StringWriter s = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(s)) {
                w.writeObject(csr);
            }
            return s.toString();
        } catch (IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot make a CSR: " + e.getMessage(), e);
        }
    }

    public static CsrInfo parse(String csrPem) {
        PKCS10CertificationRequest csr;
        try (PEMParser p = new PEMParser(new StringReader(csrPem))) {
            Object o = p.readObject();
            if (!(o instanceof PKCS10CertificationRequest r)) throw new IllegalArgumentException("PEM block type must be CERTIFICATE REQUEST");
            csr = r;
        } catch (IOException e) {
            throw new IllegalArgumentException("not a PEM CERTIFICATE REQUEST: " + e.getMessage(), e);
        }
        PublicKey key;
        try {
            key = new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()))) {
                throw new IllegalArgumentException("the CSR's signature does not verify");
            }
        } catch (org.bouncycastle.pkcs.PKCSException | org.bouncycastle.operator.OperatorCreationException | IOException e) {
            throw new IllegalArgumentException("the CSR's signature does not verify: " + e.getMessage(), e);
        }
        String cn = null;
        List<String> orgs = new ArrayList<>();
        for (RDN rdn : csr.getSubject().getRDNs()) {
            var first = rdn.getFirst();
            if (first.getType().equals(BCStyle.CN) && cn == null) cn = IETFUtils.valueToString(first.getValue());
            if (first.getType().equals(BCStyle.O)) orgs.add(IETFUtils.valueToString(first.getValue()));
        }
        List<String> dns = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        List<String> emails = new ArrayList<>();
        List<String> uris = new ArrayList<>();
        for (var attr : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable v : attr.getAttrValues()) {
                Extensions exts = Extensions.getInstance(v);
                GeneralNames names = GeneralNames.fromExtensions(exts, Extension.subjectAlternativeName);
                if (names == null) continue;
                for (GeneralName n : names.getNames()) {
                    if (n.getTagNo() == GeneralName.dNSName) dns.add(n.getName().toString());
                    if (n.getTagNo() == GeneralName.rfc822Name) emails.add(n.getName().toString());
                    if (n.getTagNo() == GeneralName.uniformResourceIdentifier) uris.add(n.getName().toString());
                    if (n.getTagNo() == GeneralName.iPAddress) {
                        byte[] b = DEROctetString.getInstance(n.getName()).getOctets();
                        try {
                            ips.add(InetAddress.getByAddress(b).getHostAddress());
                        } catch (IOException e) {
                            throw new IllegalArgumentException("the CSR names a malformed IP address");
                        }
                    }
                }
            }
        }
        return new CsrInfo(cn == null ? "" : cn, orgs, dns, ips, key, csr.getSubject(), emails, uris);
    }
}
