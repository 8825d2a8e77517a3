// Which endpoints the probe may dial: /proc/net/tcp parsing, address canonical forms, and the
// decision table (a flag names a port; only a local listener's address is dialled).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDials, type ListeningProcess } from './choose-dials.js';
import type { ServingEndpoint } from './served-endpoints.js';
import { ipKey, parseProcNetTcp } from '../../model/listeners.js';

test('LISTEN sockets from /proc/net/tcp and tcp6, in either byte order', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:2A6B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4711 1 0 100 0 0 10 0',
    '   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4712 1 0 100 0 0 10 0',
    '   2: 0100007F:2A6B 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4713 1 0 100 0 0 10 0',
    'garbage',
  ].join('\n');
  assert.deepEqual(parseProcNetTcp(tcp, 4, true), [
    { address: '127.0.0.1', port: 10859, inode: '4711' },
    { address: '0.0.0.0', port: 2024, inode: '4712' },
  ]);
  assert.equal(parseProcNetTcp(tcp, 4, false)[0]?.address, '1.0.0.127');
  const tcp6 =
    '   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1\n' +
    '   1: 0000000000000000FFFF00000100000A:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 98 1';
  assert.deepEqual(
    parseProcNetTcp(tcp6, 6, true).map((l) => l.address),
    ['0:0:0:0:0:0:0:1', '10.0.0.1'],
  );
});

test('ipKey: literals only, canonical; names are not addresses', () => {
  const rows: [string, string | undefined][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['[::]', '0:0:0:0:0:0:0:0'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['2001:db8::a:b', '2001:db8:0:0:0:0:a:b'],
    ['localhost', undefined],
    ['evil.example.com', undefined],
    ['256.0.0.1', undefined],
    ['1::2::3', undefined],
    ['', undefined],
  ];
  for (const [text, want] of rows) assert.equal(ipKey(text), want, text);
});

const ep = (over: Partial<ServingEndpoint>): ServingEndpoint => ({
  component: 'kube-apiserver',
  host: '127.0.0.1',
  port: 6443,
  source: 'pid:10',
  ...over,
});
const proc = (pid: number, component: string, ...l: [string, number][]): ListeningProcess => ({
  pid,
  component,
  listeners: l.map(([address, port], i) => ({ address, port, inode: String(pid * 100 + i) })),
});

test('only a local listener of the named process is dialled, at its own address', () => {
  const procs = [
    proc(10, 'kube-apiserver', ['0.0.0.0', 6443]),
    proc(11, 'kubelet', ['10.0.0.5', 10250]),
    proc(12, 'kube-scheduler', ['198.51.100.7', 10259]), // IP_FREEBIND to a foreign address
    proc(13, 'etcd', ['127.0.0.1', 2379], ['0:0:0:0:0:0:0:0', 2380]),
  ];
  const { dial, skipped } = chooseDials(
    [
      ep({ host: '192.0.2.1' }), // flag names a foreign address: the listener's is dialled
      ep({ source: 'pid:99', port: 7000 }), // no such process
      ep({ component: 'kubelet', source: 'pid:11', host: '127.0.0.1', port: 10250 }),
      ep({ component: 'kube-scheduler', source: 'pid:12', port: 10259 }),
      ep({ component: 'etcd', source: 'm/etcd.yaml', host: 'evil.example.com', port: 2379 }),
      ep({ component: 'etcd-peer', source: 'm/etcd.yaml', host: '10.0.0.5', port: 2380 }),
      ep({ component: 'etcd', source: 'm/etcd.yaml', port: 4001 }), // etcd does not listen there
      ep({ host: '127.0.0.1' }), // the same socket again
    ],
    procs,
    ['127.0.0.1', '10.0.0.5', '::1'],
  );
  assert.deepEqual(
    dial.map((d) => `${d.endpoint.component} ${d.host} ${d.port}`),
    [
      'kube-apiserver 127.0.0.1 6443',
      'kubelet 10.0.0.5 10250',
      'etcd 127.0.0.1 2379',
      'etcd-peer 0:0:0:0:0:0:0:1 2380',
    ],
  );
  assert.deepEqual(
    skipped.map((s) => `${s.endpoint.port} ${s.reason}`),
    ['7000 no_listener', '10259 not_local', '4001 no_listener'],
  );
});

test('a cap on endpoints dialled per scan; the rest reported over_cap', () => {
  const ports = Array.from({ length: 50 }, (_, i) => 20000 + i);
  const { dial, skipped } = chooseDials(
    ports.map((port) => ep({ component: 'etcd', source: 'pid:5', port })),
    [proc(5, 'etcd', ...ports.map((p): [string, number] => ['127.0.0.1', p]))],
    [],
    32,
  );
  assert.equal(dial.length, 32);
  assert.equal(skipped.length, 18);
  assert.ok(skipped.every((s) => s.reason === 'over_cap'));
});
