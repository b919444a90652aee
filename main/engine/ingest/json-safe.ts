/** Makes a parquet/JSON cell storable as JSON metadata: bigint → number, bytes dropped, dates → ISO. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return undefined;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = jsonSafe(x);
      if (y !== undefined) out[k] = y;
    }
    return out;
  }
  return v;
}
