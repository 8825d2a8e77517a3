// `certdrift audit` end to end: exit codes, formats, stdin, and SARIF that validates against the
// official SARIF 2.1.0 JSON schema.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BIN, REPO, runCli } from '../support/scan.js';

const FIX = `${REPO}test/fixtures/manifests`;

test('exit codes: 2 for kops ≤ 1.35, 0 for kops 1.36 and kubeadm, 3 when nothing is readable', () => {
  assert.equal(runCli(['audit', `${FIX}/kops-1.35`]).status, 2);
  assert.equal(runCli(['audit', `${FIX}/kops-1.36`]).status, 0);
  const kubeadm = runCli(['audit', `${FIX}/kubeadm`]);
  assert.equal(kubeadm.status, 0);
  assert.match(kubeadm.stdout, /^No findings\.\n\n4 files, 4 pod templates/);
  const none = runCli(['audit', '/definitely/not/here']);
  assert.equal(none.status, 3);
  assert.match(none.stdout, /\/definitely\/not\/here +no such file or directory\n/);
  assert.doesNotMatch(none.stdout, /ENOENT|stat '/);
});

test('the table points at file:line:column', () => {
  const res = runCli(['audit', `${FIX}/kops-1.35/kube-proxy.manifest`]);
  assert.match(
    res.stdout,
    /kube-proxy\.manifest:55:13: critical FILE_HOSTPATH_MOUNT: Pod kube-system\/kube-proxy container kube-proxy mounts \/var\/lib\/kube-proxy\/kubeconfig as a single file/,
  );
  assert.match(res.stdout, /\(certdrift fix can apply this\)/);
});

test('stdin with `-`', () => {
  const res = spawnSync(process.execPath, [BIN, 'audit', '-', '-o', 'json'], {
    input: readFileSync(`${FIX}/kops-1.35/kube-proxy.manifest`),
    encoding: 'utf8',
  });
  assert.equal(res.status, 2);
  const doc = JSON.parse(res.stdout) as { files: { file: string; findings: { code: string }[] }[] };
  const stdin = doc.files[0];
  assert.ok(stdin);
  assert.equal(stdin.file, '<stdin>');
  assert.deepEqual(
    stdin.findings.map((f) => f.code),
    ['FILE_HOSTPATH_MOUNT', 'LOADS_CERTS_ONCE'],
  );
});

test('SARIF validates against the SARIF 2.1.0 schema and carries the locations', () => {
  const res = runCli(['audit', `${FIX}/kops-1.35`, `${FIX}/kops-1.36`, '-o', 'sarif']);
  assert.equal(res.status, 2);
  const sarif = JSON.parse(res.stdout) as {
    version: string;
    runs: {
      results: {
        ruleId: string;
        level: string;
        locations: {
          physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
        }[];
      }[];
    }[];
  };
  const schemaPath = createRequire(import.meta.url).resolve(
    '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json',
  );
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
  // ajv-draft-04 is CommonJS; the schema has a pattern ("…]?$") that is invalid as a Unicode RegExp.
  const Ajv = createRequire(import.meta.url)(
    'ajv-draft-04',
  ) as typeof import('ajv-draft-04').default;
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  const validate = ajv.compile(schema);
  assert.ok(validate(sarif), JSON.stringify(validate.errors, null, 2));
  assert.equal(
    validate({ ...sarif, version: '2.0.0' }),
    false,
    'the validator must reject a wrong version',
  );
  assert.equal(sarif.version, '2.1.0');
  const crit = sarif.runs[0]?.results.find((r) => r.level === 'error');
  assert.equal(crit?.ruleId, 'FILE_HOSTPATH_MOUNT');
  const where = crit.locations[0]?.physicalLocation;
  assert.ok(where);
  assert.equal(where.region.startLine, 55);
  assert.match(where.artifactLocation.uri, /kops-1\.35\/kube-proxy\.manifest$/);
});
