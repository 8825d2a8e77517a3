// Bytes of a log stream → its lines, none longer than a cap. A line past the cap is never held:
// its bytes are dropped as they arrive and it comes out as one skipped line (so line numbers stay
// true and the caller can count it), whether it is 2 MiB or a newline-free stream of any length.
// Splits on `\n` only; a trailing `\r` is left for the envelope reader to drop. Invalid UTF-8 is
// decoded as U+FFFD, as Node's readline did before. Pure: chunks in, lines out.

/** The longest log line read (bytes, without its newline): a bound on memory for hostile input. */
export const MAX_LOG_LINE_BYTES = 1024 * 1024;

export type LogLine = { text: string } | { skippedBytes: number };

export class BoundedLineSplitter {
  /** the start of the current line, copied out of earlier chunks */
  private parts: Uint8Array[] = [];
  private held = 0;
  /** bytes of the current line once it is past the cap (0: within the cap) */
  private over = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly maxBytes = MAX_LOG_LINE_BYTES) {}

  /** One chunk → the lines it completes (at most one per newline in it). */
  push(chunk: Uint8Array): LogLine[] {
    const out: LogLine[] = [];
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) {
        if (from < chunk.length) this.hold(chunk.subarray(from));
        return out;
      }
      if (this.held === 0 && this.over === 0 && nl - from <= this.maxBytes)
        // the whole line is in this chunk: decode it in place, no copy
        out.push({ text: this.decoder.decode(chunk.subarray(from, nl)) });
      else {
        this.hold(chunk.subarray(from, nl));
        out.push(this.finish());
      }
      from = nl + 1;
    }
  }

  /** The end of the stream → its last line when it did not end with a newline. */
  end(): LogLine[] {
    return this.held > 0 || this.over > 0 ? [this.finish()] : [];
  }

  private hold(piece: Uint8Array): void {
    if (this.over > 0) {
      this.over += piece.length;
      return;
    }
    if (this.held + piece.length > this.maxBytes) {
      this.over = this.held + piece.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    // a copy: the chunk's buffer is not ours to keep
    this.parts.push(piece.slice());
    this.held += piece.length;
  }

  private finish(): LogLine {
    if (this.over > 0) {
      const skippedBytes = this.over;
      this.over = 0;
      return { skippedBytes };
    }
    const bytes = new Uint8Array(this.held);
    let at = 0;
    for (const p of this.parts) {
      bytes.set(p, at);
      at += p.length;
    }
    this.parts = [];
    this.held = 0;
    return { text: this.decoder.decode(bytes) };
  }
}
