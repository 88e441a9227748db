package io.kubeha.security.pki;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;

/**
 * DATA_DIR/pki, as kubeadm lays out /etc/kubernetes/pki: {@code ca.crt/ca.key} (the cluster CA), {@code
 * apiserver.crt/.key} (serving, with the SANs asked for), {@code sa.key/sa.pub} (RSA 2048: service-account tokens are
 * RS256), {@code apiserver-kubelet-client.crt/.key} (the API server as a client of the node agents). Certificates and
 * their keys are ECDSA P-256: as safe as RSA 3072 and far cheaper per TLS handshake.
 */
public final class Pki {
    private static final Logger log = LoggerFactory.getLogger(Pki.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private final Path dir;
    private final CertAndKey ca;
    private final CertAndKey serving;
    private final KeyPair serviceAccount;
    private final CertAndKey kubeletClient;
    private final PkiOptions options;

    private Pki(Path dir, CertAndKey ca, CertAndKey serving, KeyPair serviceAccount, CertAndKey kubeletClient, PkiOptions options) {
        this.dir = dir;
        this.ca = ca;
        this.serving = serving;
        this.serviceAccount = serviceAccount;
        this.kubeletClient = kubeletClient;
        this.options = options;
    }

    /** Loads what is in {@code dir}, makes what is missing, re-issues a serving certificate that lacks a SAN or expires soon. */
    public static Pki loadOrCreate(Path dir, PkiOptions options) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new PkiException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        CertAndKey ca = loadPair(dir.resolve("ca.crt"), dir.resolve("ca.key"));
        if (ca == null) {
            ca = newCa(options.caValidity());
            store(dir.resolve("ca.crt"), dir.resolve("ca.key"), ca);
            log.info("made the cluster CA in {}", dir);
        } else if (!matches(ca)) {
            throw new PkiException(dir.resolve("ca.key") + " is not the key of " + dir.resolve("ca.crt") + ": restore both from the same backup");
        }
        Pki tmp = new Pki(dir, ca, null, null, null, options);
        CertAndKey serving = loadPair(dir.resolve("apiserver.crt"), dir.resolve("apiserver.key"));
        String why = serving == null ? "missing" : servingStale(serving, ca, options);
        if (why != null) {
            if (serving != null) log.info("re-issuing the API server's serving certificate: {}", why);
            serving = tmp.issueServing("kube-apiserver", options.sanDnsNames(), options.sanIps(), options.certValidity());
            store(dir.resolve("apiserver.crt"), dir.resolve("apiserver.key"), serving);
        }
        KeyPair sa = loadServiceAccount(dir);
        CertAndKey kubelet = loadPair(dir.resolve("apiserver-kubelet-client.crt"), dir.resolve("apiserver-kubelet-client.key"));
        if (kubelet == null || servingStale(kubelet, ca, PkiOptions.defaults()) != null) {
            kubelet = tmp.issueClient("kube-apiserver-kubelet-client", List.of("system:masters"), options.certValidity());
            store(dir.resolve("apiserver-kubelet-client.crt"), dir.resolve("apiserver-kubelet-client.key"), kubelet);
        }
        return new Pki(dir, ca, serving, sa, kubelet, options);
    }

    public static X509Certificate readCa(Path caCrt) {
        try {
            return Pem.certs(Files.readString(caCrt)).getFirst();
        } catch (IOException e) {
            throw new PkiException("cannot read " + caCrt + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new PkiException(caCrt + ": " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    public X509Certificate caCert() {
        return ca.cert();
    }

    public String caPem() {
        return Pem.cert(ca.cert());
    }

    public PrivateKey caKey() {
        return ca.key();
    }

    public CertAndKey serving() {
        return serving;
    }

    public KeyPair serviceAccountKeys() {
        return serviceAccount;
    }

    public CertAndKey kubeletClient() {
        return kubeletClient;
    }

    /** A client certificate: CN the user, one O per group (kube reads them so), clientAuth, ECDSA P-256. */
    public CertAndKey issueClient(String user, List<String> groups, Duration validity) {
        KeyPair kp = Csrs.newEcKey();
        X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
        for (String g : groups) nb.addRDN(BCStyle.O, g);
        nb.addRDN(BCStyle.CN, user);
        X509Certificate cert = sign(nb.build(), kp.getPublic(), validity, false, List.of(KeyPurposeId.id_kp_clientAuth), List.of(), List.of());
        return new CertAndKey(cert, kp.getPrivate());
    }

    /** A serving certificate for another server (a node agent's port), signed by the CA. */
    public CertAndKey issueServing(String cn, List<String> dnsNames, List<InetAddress> ips, Duration validity) {
        KeyPair kp = Csrs.newEcKey();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
        X509Certificate cert = sign(subject, kp.getPublic(), validity, false, List.of(KeyPurposeId.id_kp_serverAuth), dnsNames, ips);
        return new CertAndKey(cert, kp.getPrivate());
    }

    /**
     * Signs a PKCS#10 CSR as kube-controller-manager's signer does: the CSR's subject and key, the usages asked
     * ("client auth", "server auth"), SANs only for serving certificates, never past the CA's own end.
     */
    public X509Certificate signCsr(String csrPem, List<String> usages, Duration validity) {
        Csrs.CsrInfo info = Csrs.parse(csrPem);
        List<KeyPurposeId> eku = new ArrayList<>();
        if (usages.contains("client auth")) eku.add(KeyPurposeId.id_kp_clientAuth);
        if (usages.contains("server auth")) eku.add(KeyPurposeId.id_kp_serverAuth);
        boolean serving = usages.contains("server auth");
        List<InetAddress> ips = new ArrayList<>();
        if (serving) {
            for (String ip : info.ips()) {
                try {
                    ips.add(InetAddress.getByName(ip));
                } catch (IOException e) {
                    throw new IllegalArgumentException("the CSR names an IP address that is not one: " + ip);
                }
            }
        }
        return sign(info.subject(), info.publicKey(), validity, false, eku, serving ? info.dnsNames() : List.of(), ips);
    }

    /** kubeadm's --discovery-token-ca-cert-hash: sha256 of the CA's DER SubjectPublicKeyInfo. */
    public static String caHash(X509Certificate ca) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(ca.getPublicKey().getEncoded());
            return "sha256:" + HexFormat.of().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The serving certificate, chained to the CA, under alias "server". */
    public KeyStore servingKeyStore(char[] password) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", serving.key(), password, new java.security.cert.Certificate[] {serving.cert(), ca.cert()});
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the serving key store: " + e.getMessage(), e);
        }
    }

    public static KeyStore trustStore(X509Certificate... cas) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < cas.length; i++) ks.setCertificateEntry("ca-" + i, cas[i]);
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ making

    private X509Certificate sign(X500Name subject, PublicKey key, Duration validity, boolean isCa, List<KeyPurposeId> eku,
                                 List<String> dnsNames, List<InetAddress> ips) {
        Instant now = Instant.now();
        Instant notAfter = now.plus(validity);
        Instant caEnd = ca.cert().getNotAfter().toInstant();
        if (notAfter.isAfter(caEnd)) notAfter = caEnd;
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.cert(), serial(), Date.from(now.minusSeconds(300)),
                    Date.from(notAfter), subject, key);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            if (!eku.isEmpty()) b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku.toArray(KeyPurposeId[]::new)));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.cert()));
            List<GeneralName> sans = new ArrayList<>();
            for (String d : dnsNames) sans.add(new GeneralName(GeneralName.dNSName, d));
            for (InetAddress ip : ips) sans.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress()));
            if (!sans.isEmpty()) b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            return new JcaX509CertificateConverter().getCertificate(b.build(signer(ca.key())));
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a certificate for " + subject + ": " + e.getMessage(), e);
        }
    }

    private static CertAndKey newCa(Duration validity) {
        KeyPair kp = Csrs.newEcKey();
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, "kubernetes").build();
        Instant now = Instant.now();
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(300)),
                    Date.from(now.plus(validity)), name, kp.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(kp.getPrivate())));
            return new CertAndKey(cert, kp.getPrivate());
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot make the cluster CA: " + e.getMessage(), e);
        }
    }

    private static ContentSigner signer(PrivateKey key) throws org.bouncycastle.operator.OperatorCreationException {
        String alg = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaContentSignerBuilder(alg).build(key);
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    /** Why a certificate must be re-issued (not from this CA, expiring, lacking a SAN), or null. */
    private static String servingStale(CertAndKey c, CertAndKey ca, PkiOptions options) {
        try {
            c.cert().verify(ca.cert().getPublicKey());
        } catch (GeneralSecurityException e) {
            return "it was not signed by this CA";
        }
        if (c.cert().getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) return "it expires within 30 days";
        List<String> have = new ArrayList<>();
        try {
            var sans = c.cert().getSubjectAlternativeNames();
            if (sans != null) for (List<?> s : sans) have.add(String.valueOf(s.get(1)));
        } catch (java.security.cert.CertificateParsingException e) {
            return "its SANs cannot be read";
        }
        for (String d : options.sanDnsNames()) if (!have.contains(d)) return "it lacks the name " + d;
        for (InetAddress ip : options.sanIps()) {
            if (have.stream().noneMatch(h -> sameIp(h, ip))) return "it lacks the address " + ip.getHostAddress();
        }
        return null;
    }

    private static boolean sameIp(String have, InetAddress ip) {
        try {
            return InetAddress.getByName(have).equals(ip);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean matches(CertAndKey c) {
        try {
            java.security.Signature s = java.security.Signature.getInstance(c.key().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA");
            s.initSign(c.key());
            byte[] probe = "kubeha".getBytes(StandardCharsets.UTF_8);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(c.cert().getPublicKey());
            s.update(probe);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static KeyPair loadServiceAccount(Path dir) {
        Path keyFile = dir.resolve("sa.key");
        Path pubFile = dir.resolve("sa.pub");
        try {
            if (Files.exists(keyFile)) {
                PrivateKey k = Pem.privateKey(Files.readString(keyFile));
                PublicKey pub = Files.exists(pubFile) ? Pem.publicKey(Files.readString(pubFile)) : null;
                if (pub == null) throw new PkiException(pubFile + " is missing beside " + keyFile + ": restore it, or remove both to make new ones");
                return new KeyPair(pub, k);
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048, RANDOM);
            KeyPair kp = g.generateKeyPair();
            writeSecret(keyFile, Pem.key(kp.getPrivate()));
            writePublic(pubFile, Pem.publicKey(kp.getPublic()));
            return kp;
        } catch (IOException e) {
            throw new PkiException("cannot read or write " + keyFile + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new PkiException(keyFile + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static CertAndKey loadPair(Path crt, Path key) {
        if (!Files.exists(crt) && !Files.exists(key)) return null;
        try {
            return new CertAndKey(Pem.certs(Files.readString(crt)).getFirst(), Pem.privateKey(Files.readString(key)));
        } catch (NoSuchFileException e) {
            throw new PkiException(e.getFile() + " is missing beside its pair: restore it, or remove both to make new ones", e);
        } catch (IOException e) {
            throw new PkiException("cannot read " + crt + " or " + key + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new PkiException(crt + " / " + key + ": " + e.getMessage(), e);
        }
    }

    private static void store(Path crt, Path key, CertAndKey c) {
        try {
            writeSecret(key, c.keyPem());
            writePublic(crt, c.certPem());
        } catch (IOException e) {
            throw new PkiException("cannot write " + crt + ": " + e.getMessage(), e);
        }
    }

    /** 0600 from the start: the temp file is created with those permissions, then moved into place. */
    public static void writeSecret(Path file, String content) throws IOException {
        write(file, content, "rw-------");
    }

    static void writePublic(Path file, String content) throws IOException {
        write(file, content, "rw-r--r--");
    }

    private static void write(Path file, String content, String perms) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, content);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(perms));
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
