// `winnow search "text"`: text → image search over the embedded images (kept apart from dedup so the
// command loads only what a search needs).
import type { CommandContext } from './commands';
import { numberOption } from './number-option';
import { withSession } from './with-session';

export function searchCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values as CommandContext['values'] & { k?: string };
  const query = ctx.args.join(' ').trim();
  if (!query) throw new Error('usage: winnow search "text" [--k N] [--model ID] [--json]');
  const k = numberOption(v.k, 'k') ?? 20;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new Error('--k must be an integer within 1..1000');
  return withSession(ctx, 'search', async ({ client }) => {
    const result = await client.call('search.text', { query, k, ...(v.model && { model: v.model }) });
    const items = new Map((await client.call('search.items', { ids: result.hits.map((h) => h.itemId) })).map((i) => [i.id, i]));
    const hits = result.hits.map((hit) => ({ ...hit, key: items.get(hit.itemId)?.key ?? null, caption: items.get(hit.itemId)?.caption ?? null }));
    const lines = hits.map((x, i) => `${String(i + 1).padStart(3)}. ${x.score.toFixed(4)}  #${x.itemId} ${x.key}${x.caption ? `  “${x.caption}”` : ''}`);
    // Why a large project has no approximate index: its int8 copy's exact search was timed within budget (search.index).
    if (result.index === 'not-needed' && result.scanMs !== undefined) lines.push(`(exact; ${result.scanMs.toFixed(1)} ms per search on this machine, no approximate index needed)`);
    ctx.print(lines.join('\n') || 'no embedded images', { query, model: result.model, method: result.method, index: result.index, ...(result.scanMs !== undefined && { scanMs: result.scanMs }), hits });
    return 0;
  }, { access: 'read-when-free' });
}
