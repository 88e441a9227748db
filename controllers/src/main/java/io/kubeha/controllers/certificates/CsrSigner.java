package io.kubeha.controllers.certificates;

import java.time.Duration;
import java.util.List;

/** Signs a PEM CSR with the cluster CA (kube's --cluster-signing-cert-file/-key-file), giving a PEM certificate. */
@FunctionalInterface
public interface CsrSigner {
    String sign(String csrPem, List<String> usages, Duration validity);
}
