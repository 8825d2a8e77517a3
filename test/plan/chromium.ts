// Real headless Chromium (Debian's /usr/bin/chromium), driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: JSON messages separated by NUL on fds 3 and 4) — no websocket
// client and no dependency needed. Opens a page, collects every console error, uncaught exception
// and browser log error (CSP violations, blocked fetches), evaluates expressions, screenshots.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (Debian package chromium)`;
}

export interface PageReport {
  errors: string[];
  values: unknown[];
  png: Buffer;
}

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

export async function inspectPage(
  url: string,
  expressions: string[],
  size = { width: 1400, height: 1100 },
): Promise<PageReport> {
  const profile = mkdtempSync(join(tmpdir(), 'certdrift-chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    // Its own process group, so the renderer and zygote processes go with it.
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true },
  );
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const errors: string[] = [];
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const waiters: { method: string; resolve: () => void }[] = [];
  let nextId = 1;
  let buffer = '';
  fromBrowser.setEncoding('utf8');
  fromBrowser.on('data', (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\0'); i >= 0; i = buffer.indexOf('\0')) {
      const msg = JSON.parse(buffer.slice(0, i)) as Message;
      buffer = buffer.slice(i + 1);
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg);
        continue;
      }
      const params = msg.params ?? {};
      if (
        msg.method === 'Runtime.consoleAPICalled' &&
        (params.type === 'error' || params.type === 'assert')
      )
        errors.push(`console.${params.type}: ${JSON.stringify(params.args)}`);
      if (msg.method === 'Runtime.exceptionThrown')
        errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
      if (msg.method === 'Log.entryAdded') {
        const entry = params.entry as { level: string; text: string };
        if (entry.level === 'error') errors.push(`log: ${entry.text}`);
      }
      for (let k = waiters.length - 1; k >= 0; k--)
        if (waiters[k]?.method === msg.method) waiters.splice(k, 1)[0]?.resolve();
    }
  });
  const send = (
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Message> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(
        JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0',
      );
    });
  const once = (method: string): Promise<void> =>
    new Promise((resolve) => waiters.push({ method, resolve }));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const killGroup = (): void => {
    try {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(killGroup, 60_000);
  try {
    const targets = await send('Target.getTargets');
    const page = (targets.result?.targetInfos as { targetId: string; type: string }[]).find(
      (t) => t.type === 'page',
    );
    if (!page) throw new Error('chromium opened no page');
    const attached = await send('Target.attachToTarget', {
      targetId: page.targetId,
      flatten: true,
    });
    const session = attached.result?.sessionId as string;
    for (const domain of ['Runtime', 'Log', 'Page']) await send(`${domain}.enable`, {}, session);
    await send(
      'Emulation.setDeviceMetricsOverride',
      { ...size, deviceScaleFactor: 1, mobile: false },
      session,
    );
    const loaded = once('Page.loadEventFired');
    await send('Page.navigate', { url }, session);
    await loaded;
    const values: unknown[] = [];
    for (const expression of expressions) {
      const r = await send('Runtime.evaluate', { expression, returnByValue: true }, session);
      values.push((r.result?.result as { value?: unknown } | undefined)?.value);
    }
    const shot = await send('Page.captureScreenshot', { format: 'png' }, session);
    await send('Browser.close').catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    return { errors, values, png: Buffer.from(String(shot.result?.data), 'base64') };
  } finally {
    clearTimeout(timer);
    killGroup();
    rmSync(profile, { recursive: true, force: true });
  }
}
