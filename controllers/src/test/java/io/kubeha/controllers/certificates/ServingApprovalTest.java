package io.kubeha.controllers.certificates;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.kubeha.security.pki.Csrs;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The rules by which csrapproving approves a node's own kubelet-serving CSR, and what it leaves to a person. */
class ServingApprovalTest {
    private static final List<String> USAGES = List.of("digital signature", "key encipherment", "server auth");

    private static CertificateSigningRequest csr(String cn, List<String> orgs, List<String> dns, List<String> ips, List<String> emails,
                                                 String user, List<String> groups, List<String> usages) throws Exception {
        List<InetAddress> addrs = new java.util.ArrayList<>();
        for (String ip : ips) addrs.add(InetAddress.getByName(ip));
        String pem = Csrs.create(Csrs.newEcKey(), cn, orgs, dns, addrs, emails);
        return new CertificateSigningRequestBuilder().withNewMetadata().withName("csr-x").endMetadata().withNewSpec()
                .withSignerName("kubernetes.io/kubelet-serving").withRequest(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8)))
                .withUsername(user).withGroups(groups).withUsages(usages).endSpec().build();
    }

    private static CertificateSigningRequest good() throws Exception {
        return csr("system:node:n1", List.of("system:nodes"), List.of("n1"), List.of("127.10.0.1"), List.of(),
                "system:node:n1", List.of("system:nodes", "system:authenticated"), USAGES);
    }

    @Test
    void aNodeAskingForItsOwnServingCertificateIsApproved() throws Exception {
        assertThat(CsrApprovingController.servingRejection(good())).isNull();
        // server auth alone is enough (the other two are optional)
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n1", List.of("system:nodes"), List.of(), List.of("10.0.0.5"),
                List.of(), "system:node:n1", List.of("system:nodes"), List.of("server auth")))).isNull();
    }

    @Test
    void aWrongOrForeignCommonNameIsNotApproved() throws Exception {
        // another node's name: the requestor is not the node the certificate is for
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n2", List.of("system:nodes"), List.of("n2"), List.of("127.10.0.1"),
                List.of(), "system:node:n1", List.of("system:nodes"), USAGES))).contains("asked for by system:node:n1");
        // not a node's name at all
        assertThat(CsrApprovingController.servingRejection(csr("kube-apiserver", List.of("system:nodes"), List.of("n1"), List.of(),
                List.of(), "kube-apiserver", List.of("system:nodes"), USAGES))).contains("is not system:node:NAME");
        // the admin asking for a node's certificate
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n1", List.of("system:nodes"), List.of("n1"), List.of(),
                List.of(), "kubernetes-admin", List.of("system:masters"), USAGES))).contains("not by system:node:n1");
    }

    @Test
    void extraUsagesAreNotApproved() throws Exception {
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n1", List.of("system:nodes"), List.of("n1"), List.of(),
                List.of(), "system:node:n1", List.of("system:nodes"), List.of("digital signature", "key encipherment", "server auth", "client auth"))))
                .contains("usages");
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n1", List.of("system:nodes"), List.of("n1"), List.of(),
                List.of(), "system:node:n1", List.of("system:nodes"), List.of("digital signature", "client auth")))).contains("usages");
    }

    @Test
    void emailSansWrongGroupsAndNoAddressesAreNotApproved() throws Exception {
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n1", List.of("system:nodes"), List.of("n1"), List.of(),
                List.of("root@example.com"), "system:node:n1", List.of("system:nodes"), USAGES))).contains("email");
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n1", List.of("system:nodes", "system:masters"), List.of("n1"),
                List.of(), List.of(), "system:node:n1", List.of("system:nodes"), USAGES))).contains("organizations");
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n1", List.of("system:nodes"), List.of(), List.of(),
                List.of(), "system:node:n1", List.of("system:nodes"), USAGES))).contains("no DNS name or IP address");
        assertThat(CsrApprovingController.servingRejection(csr("system:node:n1", List.of("system:nodes"), List.of("n1"), List.of(),
                List.of(), "system:node:n1", List.of("system:authenticated"), USAGES))).contains("not in system:nodes");
    }
}
