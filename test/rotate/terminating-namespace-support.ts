// The eviction call the drain actuator plans for a pod (actuators/calls.ts), for tests that
// send one eviction directly.

import { evictions } from '../../src/rotate/actuators/calls.js';
import type { ApiCall } from '../../src/rotate/index.js';
import { liveNode, NOW, OPTIONS, pod } from './fixtures.js';

export function evictionCallOf(p: { namespace: string; name: string }): ApiCall {
  const [action] = evictions({
    node: liveNode('n', {}),
    pods: [{ ...pod('n', p.name), namespace: p.namespace }],
    nodeClaims: [],
    machines: [],
    planId: 'p',
    now: NOW,
    record: null,
    groupReady: [],
    groupSize: 1,
    options: { ...OPTIONS, force: true },
  });
  if (!action?.call) throw new Error('no eviction planned');
  return action.call;
}
