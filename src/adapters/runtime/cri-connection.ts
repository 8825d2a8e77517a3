// A CRI v1 RuntimeService connection over a unix socket (gRPC). Every call has a deadline and
// fails with one RuntimeError naming the method and endpoint, e.g.
// `CRI ListContainers unix:///run/containerd/containerd.sock: connect ECONNREFUSED`.

import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

const PROTO = fileURLToPath(new URL('../../../proto/cri-runtime-v1.proto', import.meta.url));

type Callback = (err: grpc.ServiceError | null, res: unknown) => void;
type Method = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => void;
type Stub = grpc.Client & Record<string, Method>;

let serviceCtor: grpc.ServiceClientConstructor | undefined;

function loadService(): grpc.ServiceClientConstructor {
  if (serviceCtor) return serviceCtor;
  const def = protoLoader.loadSync(PROTO, {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
  };
  serviceCtor = pkg.runtime.v1.RuntimeService;
  return serviceCtor;
}

/** `unix:///path`, `unix:/path` or a bare absolute path → the gRPC target. */
export function normalizeEndpoint(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint;
  if (endpoint.startsWith('unix:')) return `unix://${endpoint.slice(5)}`;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  throw new RuntimeError(`runtime endpoint ${endpoint}: only unix sockets are supported`);
}

/** gRPC's connection errors, reduced to the operating-system error they carry. */
export function tidyGrpcMessage(details: string): string {
  return details
    .replace(/\s*Resolution note:.*$/s, '')
    .replace(/^No connection established\. Last error: (Error: )?/, '')
    .trim()
    .replace(/\.$/, '');
}

export class CriConnection {
  private readonly stub: Stub;

  constructor(
    readonly endpoint: string,
    private readonly deadlineMs = 5000,
  ) {
    const Ctor = loadService();
    this.stub = new Ctor(normalizeEndpoint(endpoint), grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    }) as Stub;
  }

  call<T>(method: string, request: object): Promise<T> {
    const fn = this.stub[method];
    if (!fn)
      return Promise.reject(new RuntimeError(`CRI ${method}: not in certdrift's CRI subset`));
    return new Promise((resolve, reject) => {
      fn.call(
        this.stub,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + this.deadlineMs },
        (err, res) => {
          if (err)
            reject(
              new RuntimeError(
                `CRI ${method} ${normalizeEndpoint(this.endpoint)}: ${tidyGrpcMessage(err.details || err.message)}`,
                { cause: err },
              ),
            );
          else resolve(res as T);
        },
      );
    });
  }

  close(): void {
    this.stub.close();
  }
}
