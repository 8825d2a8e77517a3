// Errors the CLI maps to exit codes: usage and configuration mistakes, and operations that could
// not run at all (host root missing, runtime socket refusing). Both exit 3, "unknown".

export class OperationalError extends Error {
  /**
   * Lines certdrift lays out under the message (one problem each). main.ts prints them on lines
   * of their own, each escaped; the message itself is always one escaped line, so a line break
   * in data (a path, a YAML key) can never start a line that looks like one of ours.
   */
  readonly details: readonly string[];

  constructor(message: string, options: ErrorOptions & { details?: readonly string[] } = {}) {
    const { details = [], ...errorOptions } = options;
    super(message, errorOptions);
    this.details = details;
  }
}
