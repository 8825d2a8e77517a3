// The few CRI calls `certdrift fix` makes that change anything: stop a container (kubelet then
// starts a fresh attempt), remove an exited one. Everything else stays read-only.

import { CriConnection } from './cri-connection.js';

export class CriActions {
  private readonly conn: CriConnection;

  constructor(
    readonly endpoint: string,
    deadlineMs = 60_000,
  ) {
    this.conn = new CriConnection(endpoint, deadlineMs);
  }

  async stop(containerId: string, graceSeconds: number): Promise<void> {
    await this.conn.call('StopContainer', { containerId, timeout: graceSeconds });
  }

  async remove(containerId: string): Promise<void> {
    await this.conn.call('RemoveContainer', { containerId });
  }

  close(): void {
    this.conn.close();
  }
}
