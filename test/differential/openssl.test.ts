// certdrift reads certificates exactly as `openssl x509` does: every field it reports (subject,
// issuer, CN, O, serial, notBefore, notAfter, SANs, SHA-256 fingerprint, CA flag, extended key
// usages) is compared with openssl's own output, over odd certificates generated here (odd-certs.ts),
// certificates openssl itself and @peculiar/x509 write, and PKCS#7 / PKCS#12 bundles of them.
// openssl is installed by .ci/run; without it this test fails (it is the reference, not optional).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificateFile, type FileParse } from '../../src/certs/index.js';
import type { CertFacts } from '../../src/model/index.js';
import { issue, daysFrom } from '../support/certs.js';
import { toPem } from '../support/certs.js';
import { oddCertificates, type OddCert } from './odd-certs.js';

const NAMEOPT = 'esc_2253,esc_ctrl,utf8,sep_comma_plus_space,sname';
const EKU_LONG: Record<string, string> = {
  'TLS Web Server Authentication': 'serverAuth',
  'TLS Web Client Authentication': 'clientAuth',
  'Code Signing': 'codeSigning',
  'E-mail Protection': 'emailProtection',
  'Time Stamping': 'timeStamping',
  'OCSP Signing': 'OCSPSigning',
};

let dir: string;
let count = 0;

function openssl(args: string[], input?: Buffer): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { input, maxBuffer: 64 << 20 });
  if (r.error)
    throw new Error(`openssl is the reference and must be installed: ${r.error.message}`);
  return { ok: r.status === 0, out: r.stdout.toString('utf8') };
}

/** `2025-01-01 00:00:00Z`, `   1-01-01 …`, `… 00:00:00.5Z` → ISO 8601 as Date.toISOString. */
function isoOf(s: string): string {
  const m = /^ *(\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$/.exec(s);
  assert.ok(m, `openssl date ${JSON.stringify(s)}`);
  const ms = (m[7] ?? '').slice(0, 3).padEnd(3, '0');
  return `${(m[1] ?? '').padStart(4, '0')}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${ms}Z`;
}

type Expected = Omit<CertFacts, 'notBefore' | 'notAfter' | 'selfSigned'> & {
  notBefore: string;
  notAfter: string;
};

/** What openssl says about the certificate in `file` (DER), or null when it has a bad date. */
function opensslFacts(file: string): Expected | 'bad_time' | 'unreadable' {
  const main = openssl([
    'x509',
    '-noout',
    '-inform',
    'DER',
    '-in',
    file,
    '-subject',
    '-issuer',
    '-serial',
    '-dates',
    '-fingerprint',
    '-sha256',
    '-nameopt',
    NAMEOPT,
    '-dateopt',
    'iso_8601',
    '-ext',
    'subjectAltName,basicConstraints,extendedKeyUsage',
  ]);
  if (!main.ok && main.out === '') return 'unreadable';
  const lines = main.out.split('\n');
  const field = (k: string): string => {
    const l = lines.find((x) => x.startsWith(`${k}=`));
    assert.ok(l !== undefined, `openssl printed no ${k}: ${main.out}`);
    return l.slice(k.length + 1);
  };
  const after = (header: string): string => {
    const i = lines.findIndex((l) => l.startsWith(header));
    return i < 0 ? '' : (lines[i + 1] ?? '').trim();
  };
  if (field('notBefore') === 'Bad time value' || field('notAfter') === 'Bad time value')
    return 'bad_time';
  // Raw values (no escaping) one per line, for CN and O.
  const raw = openssl([
    'x509',
    '-noout',
    '-inform',
    'DER',
    '-in',
    file,
    '-subject',
    '-nameopt',
    'sep_multiline,utf8,sname',
  ]);
  const atvs = raw.out
    .split('\n')
    .slice(1)
    .filter((l) => l.startsWith('    '))
    .flatMap((l) => l.slice(4).split(' + '));
  const values = (k: string): string[] =>
    atvs.filter((a) => a.startsWith(`${k}=`)).map((a) => a.slice(k.length + 1));
  const sanLine = after('X509v3 Subject Alternative Name');
  const sans =
    sanLine === ''
      ? []
      : sanLine.split(', ').flatMap((s) => {
          if (s.startsWith('IP Address:')) return [`IP:${s.slice(11).toLowerCase()}`];
          return /^(DNS|email|URI):/.test(s) ? [s] : [];
        });
  const eku = after('X509v3 Extended Key Usage');
  return {
    subject: field('subject'),
    issuer: field('issuer'),
    commonName: values('CN')[0] ?? '',
    organizations: values('O'),
    serial: field('serial'),
    notBefore: isoOf(field('notBefore')),
    notAfter: isoOf(field('notAfter')),
    fingerprintSha256: field('sha256 Fingerprint').replace(/:/g, '').toLowerCase(),
    sans,
    isCA: after('X509v3 Basic Constraints') === 'CA:TRUE',
    extKeyUsage: eku === '' ? [] : eku.split(', ').map((e) => EKU_LONG[e] ?? e),
  };
}

function certdriftView(f: CertFacts): Expected {
  return {
    subject: f.subject,
    issuer: f.issuer,
    commonName: f.commonName,
    organizations: f.organizations,
    serial: f.serial,
    notBefore: f.notBefore.toISOString(),
    notAfter: f.notAfter.toISOString(),
    fingerprintSha256: f.fingerprintSha256,
    sans: f.sans,
    isCA: f.isCA,
    extKeyUsage: f.extKeyUsage,
  };
}

/** Compares certdrift's reading of one certificate file with openssl's. */
function compare(c: OddCert): void {
  const file = join(dir, `c${count++}.der`);
  writeFileSync(file, c.der);
  const ref = opensslFacts(file);
  const got = parseCertificateFile(c.der, { expectCertificates: true });
  if (ref === 'bad_time' || ref === 'unreadable') {
    assert.equal(got.certs.length, 0, `${c.name}: openssl says ${ref}, certdrift read it`);
    assert.deepEqual(
      got.problems.map((p) => p.reason),
      [ref === 'bad_time' ? 'bad_time' : 'cert_parse_error'],
      c.name,
    );
    return;
  }
  assert.ok(!c.badTime, `${c.name}: openssl read a date certdrift's test thinks impossible`);
  assert.deepEqual(got.problems, [], c.name);
  assert.equal(got.certs.length, 1, c.name);
  assert.deepEqual(certdriftView((got.certs[0] as FileParse['certs'][number]).facts), ref, c.name);
}

describe('certdrift reads every field as openssl x509 does', () => {
  const odd = oddCertificates();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'certdrift-diff-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test(`${odd.length} hand-built odd certificates`, () => {
    for (const c of odd) compare(c);
    const bad = odd.filter((c) => c.badTime).length;
    assert.ok(
      bad >= 8 && odd.length - bad >= 50,
      `${odd.length} certificates, ${bad} with bad dates`,
    );
  });

  test('certificates openssl itself writes (RSA, EC, Ed25519, v3 extensions)', () => {
    const made: OddCert[] = [];
    const specs: [string, string[]][] = [
      [
        'rsa',
        [
          '-newkey',
          'rsa:2048',
          '-subj',
          '/C=DE/O=Acme, Inc./CN=rsa leaf',
          '-addext',
          'subjectAltName=DNS:rsa.example,IP:192.0.2.1,IP:::1,email:a@b.c,URI:https://x/y',
        ],
      ],
      [
        'ec',
        [
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-384',
          '-subj',
          '/CN=ec/O=system:masters/O=two',
          '-addext',
          'extendedKeyUsage=serverAuth,clientAuth',
        ],
      ],
      [
        'ed25519',
        [
          '-newkey',
          'ed25519',
          '-utf8',
          '-subj',
          '/CN=Zürich ☃/OU=ops',
          '-set_serial',
          '-1234567',
          '-addext',
          'basicConstraints=critical,CA:TRUE',
        ],
      ],
    ];
    for (const [n, args] of specs) {
      const key = join(dir, `${n}.key`);
      const out = join(dir, `${n}.der`);
      const r = openssl([
        'req',
        '-x509',
        '-nodes',
        '-keyout',
        key,
        '-outform',
        'DER',
        '-out',
        out,
        '-days',
        '400',
        ...args,
      ]);
      assert.ok(r.ok, `openssl req for ${n}`);
      made.push({ name: `openssl ${n}`, der: readFileSync(out) });
    }
    for (const c of made) compare(c);
  });

  test('certificates @peculiar/x509 writes (the test CA of every other test)', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    for (const key of ['ed25519', 'p256', 'rsa2048'] as const) {
      const c = await issue({
        cn: `peculiar ${key}`,
        o: ['system:nodes'],
        notBefore: now,
        notAfter: daysFrom(now, 400),
        key,
        sans: ['DNS:n1', 'IP:10.0.0.1', 'IP:fd00::1'],
        eku: ['clientAuth', 'serverAuth'],
      });
      compare({ name: `peculiar ${key}`, der: Buffer.from(c.der) });
    }
  });

  /** Every certificate openssl prints as PEM (`-print_certs`, `-nokeys`), read by openssl. */
  function opensslMembers(text: string): Expected[] {
    return [...text.matchAll(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)].map(
      (m, i) => {
        const file = join(dir, `member-${count++}-${i}.der`);
        writeFileSync(file, Buffer.from(m[0].replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
        const facts = opensslFacts(file);
        assert.ok(typeof facts === 'object');
        return facts;
      },
    );
  }

  test('PKCS#7 bundles (DER and PEM) hold the certificates openssl lists, field for field', () => {
    const members = odd.filter((c) => !c.badTime && !c.name.includes('invalid')).slice(0, 12);
    const pem = join(dir, 'bundle.pem');
    writeFileSync(pem, members.map((c) => toPem('CERTIFICATE', c.der)).join(''));
    for (const form of ['DER', 'PEM']) {
      const out = join(dir, `bundle.p7b.${form}`);
      assert.ok(
        openssl(['crl2pkcs7', '-nocrl', '-certfile', pem, '-outform', form, '-out', out]).ok,
      );
      const got = parseCertificateFile(readFileSync(out), { expectCertificates: true });
      assert.deepEqual(got.problems, []);
      assert.equal(got.format, form === 'DER' ? 'pkcs7' : 'pem');
      const listed = opensslMembers(
        openssl(['pkcs7', '-inform', form, '-in', out, '-print_certs']).out,
      );
      assert.equal(listed.length, members.length);
      assert.deepEqual(
        got.certs.map((c) => certdriftView(c.facts)),
        listed,
        `PKCS#7 ${form}`,
      );
      count += listed.length;
    }
  });

  test('PKCS#12: unencrypted and empty-password stores read, a password-protected one reported', () => {
    const members = odd.filter((c) => !c.badTime && !c.name.includes('invalid')).slice(12, 15);
    const pem = join(dir, 'p12.pem');
    writeFileSync(pem, members.map((c) => toPem('CERTIFICATE', c.der)).join(''));
    const plain = join(dir, 'plain.p12');
    assert.ok(
      openssl([
        'pkcs12',
        '-export',
        '-nokeys',
        '-in',
        pem,
        '-certpbe',
        'NONE',
        '-nomac',
        '-passout',
        'pass:',
        '-out',
        plain,
      ]).ok,
    );
    const got = parseCertificateFile(readFileSync(plain), { expectCertificates: true });
    assert.equal(got.format, 'pkcs12');
    assert.deepEqual(got.problems, []);
    const listed = opensslMembers(
      openssl(['pkcs12', '-in', plain, '-nokeys', '-passin', 'pass:', '-nomacver']).out,
    );
    assert.equal(listed.length, members.length);
    assert.deepEqual(
      got.certs.map((c) => certdriftView(c.facts)),
      listed,
    );
    count += listed.length;

    // "No password" as OpenSSL 3 writes it: PBES2/AES-256 encrypted with the empty password.
    const empty = join(dir, 'empty.p12');
    assert.ok(
      openssl(['pkcs12', '-export', '-nokeys', '-in', pem, '-passout', 'pass:', '-out', empty]).ok,
    );
    const opened = parseCertificateFile(readFileSync(empty), { expectCertificates: true });
    assert.deepEqual(opened.problems, []);
    const listedEmpty = opensslMembers(
      openssl(['pkcs12', '-in', empty, '-nokeys', '-passin', 'pass:']).out,
    );
    assert.equal(listedEmpty.length, members.length);
    assert.deepEqual(
      opened.certs.map((c) => certdriftView(c.facts)),
      listedEmpty,
    );
    count += listedEmpty.length;

    const locked = join(dir, 'locked.p12');
    assert.ok(
      openssl([
        'pkcs12',
        '-export',
        '-nokeys',
        '-in',
        pem,
        '-passout',
        'pass:secret',
        '-out',
        locked,
      ]).ok,
    );
    const enc = parseCertificateFile(readFileSync(locked), { expectCertificates: true });
    assert.equal(enc.certs.length, 0);
    assert.deepEqual(
      enc.problems.map((p) => p.reason),
      ['pkcs12_encrypted'],
    );
  });
});
