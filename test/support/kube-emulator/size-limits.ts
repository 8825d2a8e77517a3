// Size limits between a client and etcd:
// - kube-apiserver reads at most MaxRequestBodyBytes (3 MiB, staging/src/k8s.io/apiserver/pkg/
//   server/config.go; twice etcd's limit because JSON shrinks when stored as protobuf) of a write
//   request: more is 413 "Request entity too large: limit is 3145728"
//   (endpoints/handlers/rest.go limitedReadBody).
// - etcd refuses a request over --max-request-bytes (1.5 MiB by default, etcd server/embed/
//   config.go DefaultMaxRequestBytes); kube-apiserver passes the error on as a 500 InternalError
//   "etcdserver: request is too large" (kubernetes/kubernetes#112152). Custom resources are
//   stored as JSON, so the object's JSON size is what etcd sees.

import { ApiError } from './status.js';

export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;
export const ETCD_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export function checkRequestBody(raw: string): void {
  if (Buffer.byteLength(raw) > MAX_REQUEST_BODY_BYTES)
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: limit is ${MAX_REQUEST_BODY_BYTES}`,
    );
}

export function checkStoredSize(obj: unknown): void {
  if (Buffer.byteLength(JSON.stringify(obj)) > ETCD_MAX_REQUEST_BYTES)
    throw new ApiError(500, 'InternalError', 'etcdserver: request is too large');
}
