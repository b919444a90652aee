// Options of URL downloads (img2dataset-style): bounded concurrency, retries, size cap, optional resize.
import { z } from 'zod';

export const DownloadOptions = z.object({
  concurrency: z.number().int().min(1).max(64).default(8),
  timeoutMs: z.number().int().min(100).max(600_000).default(20_000),
  retries: z.number().int().min(0).max(10).default(2),
  maxBytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(32 * 1024 * 1024),
  resize: z.number().int().min(8).max(16384).nullable().default(null),
  // URLs in a manifest are untrusted: loopback, private and link-local targets are refused unless allowed here.
  allowPrivateNetwork: z.boolean().default(false),
  allowNetworks: z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'a CIDR range such as 10.1.2.3/32')).max(64).default([]),
}).strict();

export type DownloadOptionsT = z.output<typeof DownloadOptions>;
