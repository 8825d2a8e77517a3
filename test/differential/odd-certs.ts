// The odd certificates the differential test feeds to certdrift and to `openssl x509`: every
// one generated here at test time (hand-built DER, see test/support/der-build.ts).

import * as d from '../support/der-build.js';

export interface OddCert {
  name: string;
  der: Buffer;
  /** openssl cannot print a date of it (certdrift must report bad_time) */
  badTime?: boolean;
}

const at = (t: string, v: Buffer): d.Atv[] => [[t, v]];
const u8 = (s: string): Buffer => d.str(0x0c, s);
const NB = d.utc('250101000000Z');
const NA = d.gen('20510101000000Z');
const base = (over: Partial<d.CertSpec> & { name?: string }): d.CertSpec => ({
  version: 2,
  serial: d.intRaw([0x01]),
  subject: d.name(d.cn(over.name ?? 'odd')),
  notBefore: NB,
  notAfter: NA,
  ...over,
});

function serials(): OddCert[] {
  const hex = (h: string): number[] => [...Buffer.from(h, 'hex')];
  const list: [string, number[]][] = [
    ['zero', [0x00]],
    ['one', [0x01]],
    ['127', [0x7f]],
    ['128 (padded)', [0x00, 0x80]],
    ['-1', [0xff]],
    ['-128', [0x80]],
    ['-129', [0xff, 0x7f]],
    ['large negative', [0x80, 0x00, 0x00, 0x01]],
    [
      '20 octets, top bit set (21 with padding)',
      [0x00, ...hex('f1e2d3c4b5a6978877665544332211009988aabb')],
    ],
    ['20 octets positive', hex('71e2d3c4b5a6978877665544332211009988aabb')],
    ['25 octets', hex('0102030405060708090a0b0c0d0e0f101112131415161718ff')],
    ['21 octets negative', hex('8000000000000000000000000000000000000000ff')],
  ];
  return list.map(([n, octets]) => ({
    name: `serial ${n}`,
    der: d.buildCert(base({ serial: d.intRaw(octets), name: `serial ${n}` })),
  }));
}

function times(): OddCert[] {
  const ok: [string, Buffer, Buffer][] = [
    ['GeneralizedTime 0001..9999', d.gen('00010101000000Z'), d.gen('99991231235959Z')],
    ['GeneralizedTime 0099', d.gen('00990615120000Z'), d.gen('00991231235959Z')],
    ['GeneralizedTime year 0', d.gen('00000229000000Z'), d.gen('20500101000000Z')],
    ['GeneralizedTime 2050', d.utc('491231235959Z'), d.gen('20500101000000Z')],
    ['UTCTime 1950 and 2049', d.utc('500101000000Z'), d.utc('491231235959Z')],
    ['leap days 2000 and 2024', d.utc('000229000000Z'), d.gen('20240229120000Z')],
    ['UTCTime without seconds', d.utc('2501010000Z'), d.utc('2601010000Z')],
    ['UTCTime with an offset', d.utc('2501010000+0130'), d.utc('260101000000-0800')],
    ['GeneralizedTime with a fraction', d.gen('20250101000000.123Z'), d.gen('20500101000000.5Z')],
    ['GeneralizedTime without seconds', d.gen('202501010000Z'), d.gen('205001010000+0000')],
  ];
  const bad: [string, Buffer][] = [
    ['month 13', d.utc('251301000000Z')],
    ['hour 24', d.utc('250101240000Z')],
    ['Feb 31', d.utc('250231000000Z')],
    ['second 60', d.utc('250101000060Z')],
    ['minute 60', d.utc('250101006000Z')],
    ['day 0', d.utc('250100000000Z')],
    ['Feb 29 1900', d.gen('19000229000000Z')],
    ['letters', d.utc('2501O1000000Z')],
  ];
  return [
    ...ok.map(([n, nb, na]) => ({
      name: `time ${n}`,
      der: d.buildCert(base({ notBefore: nb, notAfter: na, name: n })),
    })),
    ...bad.map(([n, na]) => ({
      name: `impossible date: ${n}`,
      der: d.buildCert(base({ notAfter: na, name: n })),
      badTime: true,
    })),
  ];
}

function names(): OddCert[] {
  const ctl = String.fromCharCode(1, 0x1f, 0x7f);
  const values: [string, Buffer][] = [
    ['UTF8String non-ASCII', u8('Zürich ☃ 😀 Ελλάδα')],
    ['BMPString', d.str(0x1e, Buffer.from('00e9260300410042', 'hex'))],
    ['UniversalString', d.str(0x1c, Buffer.from('0001f60000000078', 'hex'))],
    ['PrintableString', d.str(0x13, 'Plain Name')],
    ['T61String Latin-1', d.str(0x14, Buffer.from('6361666ee9', 'hex'))],
    ['IA5String', d.str(0x16, 'user@example.com')],
    ['PrintableString with a C1 octet', d.str(0x13, Buffer.from('61856162', 'hex'))],
    ['RFC 2253 specials', u8('a,b+c"d\\e<f>g;h=i/j')],
    ['leading space', u8(' lead')],
    ['trailing space', u8('trail ')],
    ['leading #', u8('#hash')],
    ['lone #', u8('#')],
    ['lone space', u8(' ')],
    ['control characters', u8(`c${ctl}d`)],
    ['empty', u8('')],
    ['invalid UTF-8', d.str(0x0c, Buffer.from('61ff62c3', 'hex'))],
  ];
  const out: OddCert[] = values.map(([n, v]) => ({
    name: `subject ${n}`,
    der: d.buildCert(
      base({ subject: d.name(at('2.5.4.3', v), at('2.5.4.10', u8('system:nodes'))) }),
    ),
  }));
  const everyType = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17, 41, 42, 43, 44, 46, 65, 97];
  out.push({
    name: 'every attribute type with a short name',
    der: d.buildCert(
      base({
        subject: d.name(
          ...everyType.map((n) => at(`2.5.4.${n}`, d.str(0x13, n === 6 ? 'DE' : `v${n}`))),
          at('1.2.840.113549.1.9.1', d.str(0x16, 'a@b.c')),
          at('0.9.2342.19200300.100.1.25', d.str(0x16, 'example')),
          at('0.9.2342.19200300.100.1.1', u8('uid1')),
        ),
      }),
    ),
  });
  out.push({
    name: 'multi-valued RDN and a distinct issuer',
    der: d.buildCert(
      base({
        subject: d.name(
          [
            ['2.5.4.3', u8('system:node:n1')],
            ['2.5.4.10', u8('system:nodes')],
            ['2.5.4.11', u8('ou')],
          ],
          at('2.5.4.10', u8('second org')),
        ),
        issuer: d.name(at('2.5.4.6', d.str(0x13, 'US')), d.cn('issuing CA')),
      }),
    ),
  });
  out.push({
    name: 'attribute types OpenSSL names from its own table',
    der: d.buildCert(
      base({
        subject: d.name(
          at('1.2.3.4.5', u8('private oid')),
          at('2.5.4.16', u8('postal address')),
          at('1.3.6.1.4.1.311.60.2.1.3', d.str(0x13, 'DE')),
          d.cn('fallback'),
        ),
      }),
    ),
  });
  out.push({
    name: 'empty subject',
    der: d.buildCert(base({ subject: d.seq(), issuer: d.name(d.cn('ca')) })),
  });
  return out;
}

function extensions(): OddCert[] {
  const ip = (s: string): Buffer =>
    s.includes(':')
      ? Buffer.from(
          s
            .split(':')
            .map((g) => g.padStart(4, '0'))
            .join(''),
          'hex',
        )
      : Buffer.from(s.split('.').map(Number));
  const huge: [number, Buffer][] = [];
  for (let i = 0; i < 1000; i++) huge.push([0x82, Buffer.from(`node-${i}.cluster.example`)]);
  for (let i = 0; i < 100; i++) huge.push([0x87, Buffer.from([10, 0, i >> 8, i & 0xff])]);
  return [
    {
      name: 'SANs of every reported type',
      der: d.buildCert(
        base({
          extensions: [
            d.subjectAltName(
              [0x82, Buffer.from('a.example')],
              [0x87, ip('10.0.1.2')],
              [0x87, ip('2001:0db8:0:0:0:0:0:1')],
              [0x87, ip('0:0:0:0:0:0:0:0')],
              [0x81, Buffer.from('ops@example.com')],
              [0x86, Buffer.from('spiffe://cluster.local/ns/a/sa/b')],
              [0x82, Buffer.from('*.wild.example')],
            ),
          ],
        }),
      ),
    },
    {
      name: 'SANs with other names, a directory name, a registered ID and a 5-octet IP',
      der: d.buildCert(
        base({
          extensions: [
            d.subjectAltName(
              [0xa0, Buffer.concat([d.oid('1.3.6.1.4.1.311.20.2.3'), d.tlv(0xa0, u8('upn@x'))])],
              [0x82, Buffer.from('b.example')],
              [0xa4, d.name(d.cn('dir'))],
              [0x88, d.oid('1.2.3.4').subarray(2)],
              [0x87, Buffer.from([1, 2, 3, 4, 5])],
            ),
          ],
        }),
      ),
    },
    {
      name: 'huge SAN list (1,100 names)',
      der: d.buildCert(base({ extensions: [d.subjectAltName(...huge)] })),
    },
    {
      name: 'CA with every named extended key usage',
      der: d.buildCert(
        base({
          extensions: [
            d.basicConstraints(true),
            d.extKeyUsage(...[1, 2, 3, 4, 8, 9].map((n) => `1.3.6.1.5.5.7.3.${n}`), '1.2.3.4.5.6'),
          ],
        }),
      ),
    },
    {
      name: 'leaf with basicConstraints CA:FALSE',
      der: d.buildCert(
        base({ extensions: [d.basicConstraints(false), d.extKeyUsage('1.3.6.1.5.5.7.3.2')] }),
      ),
    },
  ];
}

function versionsAndBer(): OddCert[] {
  const spec = base({ name: 'ber', extensions: [d.basicConstraints(false)] });
  const tbs = d.tbsOf(spec);
  const good = d.certOf(tbs);
  return [
    {
      name: 'v1 (no version field, no extensions)',
      der: d.buildCert({ ...base({ name: 'v1' }), version: undefined }),
    },
    {
      name: 'v1 with an explicit version 0',
      der: d.buildCert(base({ version: 0, name: 'v1 explicit' })),
    },
    { name: 'v2', der: d.buildCert(base({ version: 1, name: 'v2' })) },
    { name: 'BER: indefinite outer length', der: d.indefinite(good) },
    { name: 'BER: padded outer length', der: d.paddedLength(good) },
    { name: 'BER: indefinite TBSCertificate length', der: d.certOf(d.indefinite(tbs)) },
    { name: 'BER: padded TBSCertificate length', der: d.certOf(d.paddedLength(tbs)) },
  ];
}

export function oddCertificates(): OddCert[] {
  return [...serials(), ...times(), ...names(), ...extensions(), ...versionsAndBer()];
}
