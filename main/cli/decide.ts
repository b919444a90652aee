// `winnow decide --keep|--exclude|--clear IDS` and `winnow tag TAG IDS [--remove]`: decisions by hand from
// the command line, through the same contract methods as the app (recorded with the OS user and "cli").
// IDS: item ids and ranges ("3,7,10-20"), or --tag-of TAG for every item carrying a tag.
import type { ApiClient } from '../api/client';
import type { CommandContext } from './commands';
import { withSession } from './with-session';

type Values = CommandContext['values'] & { keep?: boolean; exclude?: boolean; clear?: boolean; remove?: boolean; 'tag-of'?: string };

/** "3,7,10-20" → [3, 7, 10..20]; refuses anything else with the offending part named. */
export function parseIds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`not an item id or range: "${part}" (use ids like 3,7,10-20)`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (a < 1 || b < a || b - a > 1_000_000) throw new Error(`bad range "${part}"`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  if (out.length === 0) throw new Error('no item ids given');
  return out;
}

async function targetIds(client: ApiClient, args: string[], tagOf: string | undefined): Promise<number[]> {
  if (tagOf) return client.call('items.ids', { offset: 0, limit: 100_000, tag: tagOf });
  return parseIds(args.join(','));
}

async function inChunks(ids: number[], call: (part: number[]) => Promise<{ changed: number }>): Promise<number> {
  let changed = 0;
  for (let i = 0; i < ids.length; i += 100_000) changed += (await call(ids.slice(i, i + 100_000))).changed;
  return changed;
}

export function decideCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values as Values;
  const modes = [v.keep && 'keep', v.exclude && 'exclude', v.clear && 'clear'].filter(Boolean) as ('keep' | 'exclude' | 'clear')[];
  if (modes.length !== 1 || (ctx.args.length === 0 && !v['tag-of'])) throw new Error('usage: winnow decide --keep|--exclude|--clear IDS|--tag-of TAG [--project DIR]  (IDS like 3,7,10-20)');
  const decision = modes[0] === 'clear' ? null : modes[0];
  return withSession(ctx, 'decide', async ({ client }) => {
    const ids = await targetIds(client, ctx.args, v['tag-of']);
    if (ids.length === 0) throw new Error(`no items carry the tag "${v['tag-of']}"`);
    const changed = await inChunks(ids, (part) => client.call('decide.set', { ids: part, decision, via: 'cli' }));
    ctx.print(`${decision ?? 'cleared'}: ${changed} of ${ids.length} items`, { decision, items: ids.length, changed });
    return 0;
  });
}

export function tagCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values as Values;
  const [tag, ...rest] = ctx.args;
  if (!tag || (rest.length === 0 && !v['tag-of'])) throw new Error('usage: winnow tag TAG IDS|--tag-of OTHER [--remove] [--project DIR]');
  return withSession(ctx, 'tag', async ({ client }) => {
    const ids = await targetIds(client, rest, v['tag-of']);
    const method = v.remove ? 'tags.remove' : 'tags.add';
    const changed = ids.length === 0 ? 0 : await inChunks(ids, (part) => client.call(method, { ids: part, tag }));
    ctx.print(`${v.remove ? 'untagged' : 'tagged'} "${tag}": ${changed} of ${ids.length} items`, { tag, removed: !!v.remove, items: ids.length, changed });
    return 0;
  });
}
