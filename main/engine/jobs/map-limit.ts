/** Maps with at most `limit` promises in flight, keeping input order (bounded parallel I/O and decoding). */
export async function mapLimit<T, R>(input: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(input.length);
  let next = 0;
  const worker = async () => {
    while (next < input.length) {
      const i = next++;
      out[i] = await fn(input[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, input.length) }, worker));
  return out;
}
