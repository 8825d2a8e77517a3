// `certdrift renew` as people read it: the plan (one line per certificate kubeadm renews, what
// happens to it and why), what was written, who was restarted, and the proof. Pure text; the
// JSON form is the same data (RenewReport) and holds no key material.

import type { Consumer } from './consumers.js';
import { describeConsumer } from './consumers.js';
import type { KubeadmPlan } from './plan-kubeadm.js';
import type { Proof } from './prove.js';
import type { RenewSteps } from './plan-rancher.js';
import { proofFailures } from './prove.js';

export interface RestartRecord {
  consumer: Consumer;
  status: 'restarted' | 'failed' | 'by-hand' | 'skipped';
  detail: string;
}

export interface RenewReport {
  kind: 'RenewPlan' | 'RenewResult' | 'RenewRollback';
  hostRoot: string;
  plan?: KubeadmPlan;
  /** finished from an interrupted earlier run before planning */
  resumed: { run: string; written: string[]; already: string[] }[];
  run?: { dir: string; written: string[]; already: string[] };
  /** renewals refused at signing time (bad data): name → why */
  refused: { name: string; message: string }[];
  restarts: RestartRecord[];
  proof?: Proof;
  rollback?: {
    run: string;
    restored: string[];
    unchanged: string[];
    refused: { path: string; message: string }[];
  };
  /** the steps printed (or run) for distributions certdrift does not sign for */
  steps?: RenewSteps[];
}

const day = (iso: string | undefined): string => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

export function renderRenewText(r: RenewReport, apply: boolean): string {
  const out: string[] = [];
  for (const res of r.resumed)
    out.push(
      `finished the interrupted run ${res.run}: ${res.written.length} file(s) written, ${res.already.length} already new`,
    );
  if (r.plan) {
    const p = r.plan;
    out.push(
      apply
        ? `RENEW (kubeadm, ${p.validityDays} days, ${p.newKeys ? 'new keys' : 'same keys'})`
        : `PLAN (dry run: nothing was changed; rerun with --apply) — kubeadm, ${p.validityDays} days, ${p.newKeys ? 'new keys' : 'same keys'}`,
    );
    const width = Math.max(...p.items.map((i) => i.name.length));
    for (const i of p.items) {
      const refused = r.refused.find((x) => x.name === i.name);
      const what = refused
        ? `refused: ${refused.message}`
        : i.action === 'renew'
          ? `${apply ? 'renewed' : 'renew'}: ${day(i.current?.notAfter)} → ${day(i.next?.notAfter)} (CA ${i.caName})`
          : `skip (${i.code}): ${i.reason}`;
      out.push(`  ${i.name.padEnd(width)}  ${what}`);
      for (const w of i.warnings) out.push(`  ${' '.repeat(width)}  warning: ${w}`);
    }
    out.push(
      `  kubelet client certificate ${p.kubelet.path}: ${p.kubelet.notAfter ? `expires ${day(p.kubelet.notAfter)}, ` : ''}${p.kubelet.message}`,
    );
  }
  for (const s of r.steps ?? []) {
    out.push(`${s.title}${s.ran ? ' (ran)' : ''}`);
    for (const c of s.commands) out.push(`  $ ${c}`);
    for (const n of s.notes) out.push(`  note: ${n}`);
  }
  if (r.run)
    out.push(`files: ${r.run.written.length} written, backups and journal in ${r.run.dir}`);
  if (r.rollback) {
    const b = r.rollback;
    out.push(
      `ROLLBACK of ${b.run}: ${b.restored.length} restored, ${b.unchanged.length} already original`,
    );
    for (const x of b.refused) out.push(`  not restored: ${x.path}: ${x.message}`);
  }
  for (const x of r.restarts)
    out.push(
      `restart ${describeConsumer(x.consumer)}: ${x.status}${x.detail ? ` — ${x.detail}` : ''}`,
    );
  if (r.proof) {
    if (r.proof.ok)
      out.push(
        `PROOF: every consumer holds the current certificates${r.proof.servedOk.length > 0 ? `; served = files at ${r.proof.servedOk.join(', ')}` : ''}`,
      );
    else {
      out.push('PROOF FAILED: still holding an older certificate than the files:');
      for (const l of proofFailures(r.proof)) out.push(`  ${l}`);
    }
  }
  return out.join('\n') + '\n';
}
