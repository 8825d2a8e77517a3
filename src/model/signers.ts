// The kubelet's certificate signers (certificates.k8s.io/v1), named by the fleet view, its
// approver and the kube adapter that lists their CSRs.

/** serving certificates with serverTLSBootstrap; core Kubernetes never approves them */
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
/** client certificate renewals, auto-approved by kube-controller-manager's csrapproving */
export const KUBELET_CLIENT = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SIGNERS: readonly string[] = [KUBELET_SERVING, KUBELET_CLIENT];
