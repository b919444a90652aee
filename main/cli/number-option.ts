/** A numeric `--flag` value, or undefined when the flag was not given; anything else is a clear usage error. */
export function numberOption(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${flag} must be a number, got "${v}"`);
  return n;
}
