// What the API server's log says about one failed client certificate, as plain data.

/** How verification failed, from Go's crypto/x509 error text. */
export type FailureKind = 'expired' | 'not-yet-valid' | 'unknown-authority' | 'other';

/** One "Unable to authenticate the request" line's certificate failure. */
export interface CertFailure {
  /** when the API server logged it (wrapper timestamp, JSON ts, klog header or the x509 "current time") */
  at?: Date;
  /** serial as the API server prints it (decimal, `SN=`); absent before Kubernetes 1.19 */
  serialDecimal?: string;
  /** the same serial as certdrift prints it: upper-case hex without leading zeros */
  serialHex?: string;
  /** subject / authority key identifiers as logged: upper-case hex pairs joined by `:`; '' when empty */
  skid: string;
  akid: string;
  kind: FailureKind;
  /** the API server's clock in the x509 message (`current time …`) */
  serverTime?: Date;
  /** the certificate's NotAfter (expired) or NotBefore (not yet valid), from the message */
  certNotAfter?: Date;
  certNotBefore?: Date;
  /** the x509 error text for this certificate */
  message: string;
  /** 1-based line number in its source, and the source's name (file path or `-`) */
  line: number;
  source: string;
}
