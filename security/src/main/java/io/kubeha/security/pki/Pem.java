package io.kubeha.security.pki;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** PEM in and out, through BouncyCastle's parser: certificates, PKCS#8, PKCS#1 and SEC1 private keys, public keys. */
public final class Pem {
    private Pem() {}

    public static String cert(X509Certificate c) {
        return write(c);
    }

    /**
     * The traditional OpenSSL form ("EC PRIVATE KEY", "RSA PRIVATE KEY"), as kubeadm writes keys: Go, Python and Node
     * read it, and fabric8 tells the key's algorithm from its header (it takes a bare "PRIVATE KEY" for RSA).
     */
    public static String key(PrivateKey k) {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(k.getEncoded());
            if (k instanceof java.security.interfaces.ECPrivateKey ec) {
                // SEC1 with the curve named inside: the JDK's PKCS#8 names it only in the algorithm identifier
                var sec = new org.bouncycastle.asn1.sec.ECPrivateKey(ec.getParams().getOrder().bitLength(), ec.getS(),
                        info.getPrivateKeyAlgorithm().getParameters());
                return write(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec.getEncoded()));
            }
            if (k.getAlgorithm().equals("RSA")) {
                return write(new org.bouncycastle.util.io.pem.PemObject("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded()));
            }
            return write(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", k.getEncoded()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the key: " + e.getMessage(), e);
        }
    }

    public static String publicKey(PublicKey k) {
        return write(k);
    }

    public static List<X509Certificate> certs(String pem) {
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            for (Object o; (o = p.readObject()) != null; ) {
                if (o instanceof X509CertificateHolder h) out.add(new JcaX509CertificateConverter().getCertificate(h));
            }
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no PEM CERTIFICATE block found");
        return out;
    }

    public static PrivateKey privateKey(String pem) {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            for (Object o; (o = p.readObject()) != null; ) {
                JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
                if (o instanceof PEMKeyPair kp) return conv.getPrivateKey(kp.getPrivateKeyInfo());
                if (o instanceof PrivateKeyInfo info) return conv.getPrivateKey(info);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not a PEM private key: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("no PEM private key block found (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    public static PublicKey publicKey(String pem) {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            for (Object o; (o = p.readObject()) != null; ) {
                if (o instanceof SubjectPublicKeyInfo spki) return new JcaPEMKeyConverter().getPublicKey(spki);
                if (o instanceof X509CertificateHolder h) return new JcaPEMKeyConverter().getPublicKey(h.getSubjectPublicKeyInfo());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not a PEM public key: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("no PEM PUBLIC KEY block found");
    }

    private static String write(Object o) {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return s.toString();
    }
}
