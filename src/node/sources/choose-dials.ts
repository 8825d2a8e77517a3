// Which serving endpoints the probe may dial, and where. Pure. A command line or a manifest only
// says which port a component should serve on; what is dialled is the address a LISTEN socket of
// that component's process is bound to, in the prober's network namespace:
//  - loopback as is; a wildcard bind (0.0.0.0, ::) as loopback of its family;
//  - an address of one of the node's own interfaces as is;
//  - anything else (a socket bound with IP_FREEBIND to a foreign address) is skipped.
// So no string on the node can make the root agent dial another host, resolve a name, or scan
// ports beyond the few a local component listens on; and at most `maxEndpoints` are dialled per
// scan. Every endpoint not dialled is returned with the reason.

import type { ServedProblem } from '../../model/index.js';
import type { ServingEndpoint } from './served-endpoints.js';
import {
  LOOPBACK_V6,
  WILDCARD_V4,
  WILDCARD_V6,
  ipKey,
  isLoopback,
  type Listener,
} from '../../model/listeners.js';

/** A process of the node in the prober's network namespace, with its LISTEN sockets. */
export interface ListeningProcess {
  pid: number;
  /** its component name (componentOf its command line) */
  component: string;
  listeners: readonly Listener[];
}

export interface Dial {
  endpoint: ServingEndpoint;
  /** the listener's address to dial (ipKey form) */
  host: string;
  port: number;
}

export interface Skipped {
  endpoint: ServingEndpoint;
  reason: Extract<ServedProblem, 'no_listener' | 'not_local' | 'over_cap'>;
  message: string;
}

/** The cap on endpoints dialled per scan: a control-plane node has fewer than a dozen. */
export const MAX_ENDPOINTS = 32;

/** The process name that serves a component's endpoint. */
const processOf = (component: string): string => (component === 'etcd-peer' ? 'etcd' : component);

/** Where to dial a listener, or undefined when it is not bound to this node. */
function dialAddress(l: Listener, local: ReadonlySet<string>): string | undefined {
  if (l.address === WILDCARD_V4) return '127.0.0.1';
  if (l.address === WILDCARD_V6) return local.has(LOOPBACK_V6) ? LOOPBACK_V6 : '127.0.0.1';
  if (isLoopback(l.address) || local.has(l.address)) return l.address;
  return undefined;
}

const rank = (l: Listener, named: string | undefined): number =>
  l.address === named ? 0 : isLoopback(l.address) ? 1 : l.address === WILDCARD_V4 ? 2 : 3;

export function chooseDials(
  endpoints: readonly ServingEndpoint[],
  processes: readonly ListeningProcess[],
  localAddresses: readonly string[],
  maxEndpoints = MAX_ENDPOINTS,
): { dial: Dial[]; skipped: Skipped[] } {
  const local = new Set(localAddresses.flatMap((a) => ipKey(a) ?? []));
  const dial: Dial[] = [];
  const skipped: Skipped[] = [];
  const seen = new Set<string>();
  for (const e of endpoints) {
    const pid = /^pid:(\d+)$/.exec(e.source)?.[1];
    const owners = processes.filter((p) =>
      pid !== undefined ? p.pid === Number(pid) : p.component === processOf(e.component),
    );
    const candidates = owners.flatMap((p) => p.listeners.filter((l) => l.port === e.port));
    const who = pid !== undefined ? `process ${pid}` : `no ${processOf(e.component)} process`;
    if (candidates.length === 0) {
      skipped.push({
        endpoint: e,
        reason: 'no_listener',
        message:
          pid !== undefined
            ? `${who} has no socket listening on port ${e.port} in this network namespace; not dialled`
            : `${who} of this network namespace listens on port ${e.port}; not dialled`,
      });
      continue;
    }
    const named = ipKey(e.host);
    const usable = candidates
      .filter((l) => dialAddress(l, local) !== undefined)
      .sort((a, b) => rank(a, named) - rank(b, named));
    const best = usable[0];
    const host = best && dialAddress(best, local);
    if (!best || host === undefined) {
      skipped.push({
        endpoint: e,
        reason: 'not_local',
        message: `port ${e.port} is bound only to addresses that are not this node's; not dialled`,
      });
      continue;
    }
    const key = `${host}|${e.port}`;
    if (seen.has(key)) continue; // the same socket named twice (a flag and its default)
    seen.add(key);
    if (dial.length >= maxEndpoints) {
      skipped.push({
        endpoint: e,
        reason: 'over_cap',
        message: `over the ${maxEndpoints} endpoints probed per scan; not dialled`,
      });
      continue;
    }
    dial.push({ endpoint: e, host, port: e.port });
  }
  return { dial, skipped };
}
