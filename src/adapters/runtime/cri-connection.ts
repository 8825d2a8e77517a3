// A CRI v1 RuntimeService connection over a unix socket (gRPC). Every call has a deadline and
// fails with one RuntimeError naming the method and endpoint, e.g.
// `CRI ListContainers unix:///run/containerd/containerd.sock: connect ECONNREFUSED`.

import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** The CRI proto's name: a file under proto/, or an asset of the single executable (npm run sea). */
export const CRI_PROTO = 'cri-runtime-v1.proto';

type Callback = (err: grpc.ServiceError | null, res: unknown) => void;
type Method = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => void;
type Stub = grpc.Client & Record<string, Method>;

let serviceCtor: grpc.ServiceClientConstructor | undefined;

function loadService(): grpc.ServiceClientConstructor {
  if (serviceCtor) return serviceCtor;
  const def = criDefinition();
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
  };
  serviceCtor = pkg.runtime.v1.RuntimeService;
  return serviceCtor;
}

const LOAD_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true };

/**
 * The CRI service definition. Installed, the proto is a file beside dist/; as a single
 * executable there is nothing beside the binary, so the proto is read from the binary's own
 * assets and parsed the way protoLoader.loadSync parses a file (protobufjs, the same options).
 */
function criDefinition(): protoLoader.PackageDefinition {
  if (isSea()) {
    const source = getAsset(CRI_PROTO, 'utf8');
    const root = protobuf.parse(source, new protobuf.Root(), { keepCase: false }).root;
    return protoLoader.fromJSON(root.toJSON(), LOAD_OPTIONS);
  }
  // Resolved when first needed (a bundle has no import.meta.url to resolve it at load).
  const path = fileURLToPath(new URL(`../../../proto/${CRI_PROTO}`, import.meta.url));
  return protoLoader.loadSync(path, LOAD_OPTIONS);
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
