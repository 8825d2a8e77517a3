// certs/: bytes → certificates. Pure: no I/O, no clock.
export {
  parseCertificateFile,
  type FileParse,
  type ParsedCert,
  type FileProblem,
} from './parse-file.js';
export { parseCertificateDer } from './x509.js';
export { parsePem } from './pem.js';
export { parseKubeconfig, type FileRef } from './kubeconfig.js';
export { classifyComponent } from './component.js';
export { certStatus } from './status.js';
