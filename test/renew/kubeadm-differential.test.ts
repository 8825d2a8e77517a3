// certdrift renew against the real kubeadm (v1.36.3) as the oracle. kubeadm makes a node's PKI
// offline (leaves valid 10 days, so all are due); certdrift renews one copy, `kubeadm certs renew
// all` another; every renewed certificate must then say the same as kubeadm's in subject, SANs,
// key usages, extended key usages, basic constraints, issuer, authority key id and signature
// algorithm (openssl x509 -text, field by field), kubeadm's `check-expiration` must read
// certdrift's new dates, and both must verify under the node's CAs. Also: external CAs, ECDSA,
// --new-keys, a second run, rollback byte for byte.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/scan.js';
import {
  checkExpiration,
  copyNode,
  kubeadm,
  makeKubeadmNode,
  requireKubeadm,
} from '../support/kubeadm.js';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
function node(opts: Parameters<typeof makeKubeadmNode>[0]): string {
  const r = makeKubeadmNode(opts);
  made.push(r);
  return r;
}
function copy(r: string): string {
  const c = copyNode(r);
  made.push(c);
  return c;
}

const PKI = {
  apiserver: 'pki/apiserver.crt',
  'apiserver-etcd-client': 'pki/apiserver-etcd-client.crt',
  'apiserver-kubelet-client': 'pki/apiserver-kubelet-client.crt',
  'etcd-healthcheck-client': 'pki/etcd/healthcheck-client.crt',
  'etcd-peer': 'pki/etcd/peer.crt',
  'etcd-server': 'pki/etcd/server.crt',
  'front-proxy-client': 'pki/front-proxy-client.crt',
} as const;
const CONFS = ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf'];
const CA_OF: Record<string, string> = {
  'apiserver-etcd-client': 'pki/etcd/ca.crt',
  'etcd-healthcheck-client': 'pki/etcd/ca.crt',
  'etcd-peer': 'pki/etcd/ca.crt',
  'etcd-server': 'pki/etcd/ca.crt',
  'front-proxy-client': 'pki/front-proxy-ca.crt',
};

/** The PEM of a target's certificate: the .crt, or the kubeconfig's client-certificate-data. */
function certPem(root: string, name: string): string {
  const k = join(root, 'etc/kubernetes');
  if (name in PKI) return readFileSync(join(k, PKI[name as keyof typeof PKI]), 'utf8');
  const m = /client-certificate-data: (\S+)/.exec(readFileSync(join(k, name), 'utf8'));
  assert.ok(m?.[1], `${name} embeds a client certificate`);
  return Buffer.from(m[1], 'base64').toString('utf8');
}

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', ...(input ? { input } : {}) });
}

/** `openssl x509 -text` split into the fields the differential compares. */
function fields(pem: string): Record<string, string> {
  const text = openssl(['x509', '-noout', '-text'], pem);
  const after = (label: string): string => {
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.trim().startsWith(label));
    if (i < 0) return '(absent)';
    return `${lines[i]?.trim() ?? ''} | ${lines[i + 1]?.trim() ?? ''}`;
  };
  const one = (re: RegExp): string => re.exec(text)?.[1]?.trim() ?? '(absent)';
  return {
    version: one(/Version: (.*)/),
    signatureAlgorithm: one(/Signature Algorithm: (.*)/),
    issuer: one(/Issuer: (.*)/),
    subject: one(/Subject: (.*)/),
    publicKeyAlgorithm: one(/Public Key Algorithm: (.*)/),
    keySize: one(/Public-Key: (.*)/),
    keyUsage: after('X509v3 Key Usage'),
    extendedKeyUsage: after('X509v3 Extended Key Usage'),
    basicConstraints: after('X509v3 Basic Constraints'),
    subjectAltName: after('X509v3 Subject Alternative Name'),
    authorityKeyIdentifier: after('X509v3 Authority Key Identifier'),
    subjectKeyIdentifier: after('X509v3 Subject Key Identifier'),
    extensionOrder: [...text.matchAll(/^\s+(X509v3 [A-Za-z ]+):/gm)].map((m) => m[1]).join(', '),
  };
}

function dates(pem: string): { notBefore: Date; notAfter: Date; serial: string } {
  const out = openssl(['x509', '-noout', '-startdate', '-enddate', '-serial'], pem);
  const get = (k: string): string => new RegExp(`${k}=(.*)`).exec(out)?.[1] ?? '';
  return {
    notBefore: new Date(get('notBefore')),
    notAfter: new Date(get('notAfter')),
    serial: get('serial'),
  };
}

function verifies(root: string, name: string): void {
  const ca = join(root, 'etc/kubernetes', CA_OF[name] ?? 'pki/ca.crt');
  const tmp = join(root, `verify-${name}.pem`);
  execFileSync('sh', ['-c', 'cat > "$1"', 'sh', tmp], { input: certPem(root, name) });
  assert.match(openssl(['verify', '-CAfile', ca, tmp]), /: OK/, `${name} verifies under its CA`);
  unlinkSync(tmp);
}

function renew(
  root: string,
  extra: string[] = [],
): { code: number; stdout: string; stderr: string } {
  const r = runCli([
    'renew',
    '--host-root',
    root,
    '--runtime-endpoint',
    'none',
    '--preset',
    'none',
    ...extra,
  ]);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface ResultJson {
  plan: { items: { name: string; action: string; code: string; next?: { notAfter: string } }[] };
  run?: { dir: string; written: string[] };
  proof: { ok: boolean };
}

test('RSA (kubeadm default): every renewed certificate equals kubeadm renew field by field; check-expiration reads the new dates', (t) => {
  if (!requireKubeadm(t)) return;
  const ours = node({ validity: '240h' });
  const theirs = copy(ours);
  const before = Object.fromEntries(
    [...Object.keys(PKI), ...CONFS].map((n) => [n, dates(certPem(ours, n))]),
  );

  const t0 = Date.now();
  const r = renew(ours, ['--apply', '-o', 'json']);
  const t1 = Date.now();
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const result = JSON.parse(r.stdout) as ResultJson;
  assert.equal(result.plan.items.filter((i) => i.action === 'renew').length, 11);
  assert.equal(result.proof.ok, true);
  kubeadm(theirs, ['certs', 'renew', 'all'], 'kubeadm-renew.yaml');
  t.diagnostic(
    `certdrift renewed 11 certificates of a kubeadm PKI in ${t1 - t0} ms (CLI, end to end)`,
  );

  for (const name of [...Object.keys(PKI), ...CONFS]) {
    const a = certPem(ours, name);
    const b = certPem(theirs, name);
    assert.deepEqual(fields(a), fields(b), `${name}: certdrift and kubeadm renewals differ`);
    const da = dates(a);
    const db = dates(b);
    // kubeadm: notBefore = start − 5 min, notAfter = start + 8760h.
    assert.equal(
      da.notAfter.getTime() - da.notBefore.getTime(),
      db.notAfter.getTime() - db.notBefore.getTime(),
      `${name}: same validity length`,
    );
    assert.ok(
      da.notAfter.getTime() >= Math.floor(t0 / 1000) * 1000 + 365 * 864e5 &&
        da.notAfter.getTime() <= t1 + 365 * 864e5,
      `${name}: one year from now`,
    );
    assert.notEqual(da.serial, before[name]?.serial, `${name}: a new serial`);
    verifies(ours, name);
  }

  // kubeadm's own reading of certdrift's output.
  const exp = checkExpiration(ours);
  assert.equal(exp.length, 11);
  for (const e of exp) {
    const item = result.plan.items.find((i) => i.name === e.name);
    assert.ok(item?.next, `${e.name} was renewed by certdrift`);
    assert.equal(
      new Date(e.expirationDate).getTime(),
      new Date(item.next.notAfter).getTime(),
      `${e.name}: kubeadm reads certdrift's date`,
    );
    assert.equal(e.externallyManaged, false);
    assert.equal(e.missing, false);
    assert.ok(e.residualTime > 364 * 86400, `${e.name}: a year left`);
  }
});

test('keys: certdrift keeps them by default; --new-keys makes a new one of the same kind, as kubeadm renew does', (t) => {
  if (!requireKubeadm(t)) return;
  const original = node({ validity: '240h' });
  const same = copy(original);
  const fresh = copy(original);
  const theirs = copy(original);
  assert.equal(renew(same, ['--apply']).code, 0);
  assert.equal(renew(fresh, ['--apply', '--new-keys']).code, 0);
  kubeadm(theirs, ['certs', 'renew', 'all'], 'kubeadm-renew.yaml');
  const key = (root: string, f: string): string =>
    readFileSync(join(root, 'etc/kubernetes/pki', f), 'utf8');
  const pub = (pem: string): string => openssl(['pkey', '-pubout'], pem);
  const certPub = (pem: string): string => openssl(['x509', '-noout', '-pubkey'], pem);
  for (const [name, file] of Object.entries(PKI)) {
    const k = file.replace(/^pki\//, '').replace(/\.crt$/, '.key');
    assert.equal(key(same, k), key(original, k), `${name}: same key by default`);
    assert.notEqual(key(fresh, k), key(original, k), `${name}: --new-keys writes a new key`);
    assert.notEqual(
      key(theirs, k),
      key(original, k),
      `${name}: kubeadm v1.36 renew writes a new key too`,
    );
    assert.equal(
      pub(key(fresh, k)),
      certPub(certPem(fresh, name)),
      `${name}: the new key belongs to the new certificate`,
    );
    assert.match(
      key(fresh, k),
      /^-----BEGIN RSA PRIVATE KEY-----/,
      `${name}: PKCS #1, as kubeadm writes it`,
    );
    assert.deepEqual(fields(certPem(fresh, name)), fields(certPem(theirs, name)));
    assert.equal(statSync(join(fresh, 'etc/kubernetes/pki', k)).mode & 0o777, 0o600);
  }
  for (const c of CONFS) {
    const m = /client-key-data: (\S+)/.exec(readFileSync(join(fresh, 'etc/kubernetes', c), 'utf8'));
    const k = Buffer.from(m?.[1] ?? '', 'base64').toString('utf8');
    assert.equal(
      pub(k),
      certPub(certPem(fresh, c)),
      `${c}: the embedded new key belongs to the embedded certificate`,
    );
  }
});

test('ECDSA P-256 CAs: signed with ecdsa-with-SHA256, equal to kubeadm field by field', (t) => {
  if (!requireKubeadm(t)) return;
  const ours = node({ validity: '240h', encryptionAlgorithm: 'ECDSA-P256' });
  const theirs = copy(ours);
  assert.equal(renew(ours, ['--apply']).code, 0);
  kubeadm(theirs, ['certs', 'renew', 'all'], 'kubeadm-renew.yaml');
  for (const name of [...Object.keys(PKI), ...CONFS]) {
    const f = fields(certPem(ours, name));
    assert.equal(f.signatureAlgorithm, 'ecdsa-with-SHA256');
    assert.deepEqual(f, fields(certPem(theirs, name)), name);
    verifies(ours, name);
  }
});

test('external CA (front-proxy-ca.key and etcd/ca.key absent): those are skipped, as check-expiration calls them externally managed', (t) => {
  if (!requireKubeadm(t)) return;
  const root = node({ validity: '240h' });
  unlinkSync(join(root, 'etc/kubernetes/pki/front-proxy-ca.key'));
  unlinkSync(join(root, 'etc/kubernetes/pki/etcd/ca.key'));
  const r = renew(root, ['--apply', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const items = (JSON.parse(r.stdout) as ResultJson).plan.items;
  const skipped = items
    .filter((i) => i.code === 'external-ca')
    .map((i) => i.name)
    .sort();
  const external = checkExpiration(root)
    .filter((e) => e.externallyManaged)
    .map((e) => e.name)
    .sort();
  assert.deepEqual(skipped, external);
  assert.deepEqual(skipped, [
    'apiserver-etcd-client',
    'etcd-healthcheck-client',
    'etcd-peer',
    'etcd-server',
    'front-proxy-client',
  ]);
  assert.match(
    renew(root).stdout,
    /etcd-peer\s+skip \(external-ca\): external CA: \/etc\/kubernetes\/pki\/etcd\/ca\.key is absent/,
  );
});

test('a second run renews nothing; --rollback puts every file back byte for byte, owner and mode kept', (t) => {
  if (!requireKubeadm(t)) return;
  const original = node({ validity: '240h' });
  const root = copy(original);
  const first = renew(root, ['--apply', '-o', 'json']);
  assert.equal(first.code, 0, first.stderr);
  const run = (JSON.parse(first.stdout) as ResultJson).run;
  assert.ok(run);
  const snapshot = (r: string): Map<string, { bytes: string; mode: number }> => {
    const out = new Map<string, { bytes: string; mode: number }>();
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else
          out.set(p.slice(r.length), { bytes: readFileSync(p, 'base64'), mode: statSync(p).mode });
      }
    };
    walk(join(r, 'etc/kubernetes'));
    return out;
  };
  const renewed = snapshot(root);
  const again = renew(root, ['--apply', '-o', 'json']);
  assert.equal(again.code, 0);
  const second = JSON.parse(again.stdout) as ResultJson;
  assert.equal(second.run, undefined, 'nothing written');
  assert.ok(second.plan.items.every((i) => i.code === 'fresh'));
  assert.deepEqual(snapshot(root), renewed);

  const back = renew(root, ['--rollback', run.dir]);
  assert.equal(back.code, 0, back.stdout + back.stderr);
  assert.match(back.stdout, /ROLLBACK of .*: 11 restored, 0 already original/);
  assert.deepEqual(snapshot(root), snapshot(original));
  const twice = renew(root, ['--rollback', run.dir]);
  assert.match(twice.stdout, /0 restored, 11 already original/);
});
