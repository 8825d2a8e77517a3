// Human durations for residual times: "364d", "31h", "12m"; negative → "5d ago".

export function formatResidual(ms: number): string {
  const abs = Math.abs(ms);
  const unit =
    abs >= 2 * 86_400_000
      ? `${Math.floor(abs / 86_400_000)}d`
      : abs >= 3_600_000
        ? `${Math.floor(abs / 3_600_000)}h`
        : `${Math.floor(abs / 60_000)}m`;
  return ms < 0 ? `${unit} ago` : unit;
}

/** `2027-02-01` */
export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}
