import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The sha256 an ETag-style header carries, if it is one (hub LFS files); git blob sha1s are not. */
export function sha256FromEtag(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const bare = value.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
  return /^[0-9a-f]{64}$/.test(bare) ? bare : undefined;
}
