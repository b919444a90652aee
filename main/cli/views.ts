// `winnow views list` and `winnow views show NAME`: the project's saved views (made in the app or browser).
import type { CommandContext } from './commands';
import { withSession } from './with-session';

export function viewsCommand(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  const name = rest.join(' ').trim();
  if (sub !== 'list' && !(sub === 'show' && name)) throw new Error('usage: winnow views list | winnow views show NAME [--json]');
  return withSession(ctx, 'views', async ({ client }) => {
    if (sub === 'list') {
      const views = await client.call('views.list', {});
      ctx.print(views.map((v) => `${v.name}  —  ${v.summary}  (saved ${v.updatedAt})`).join('\n') || 'no saved views (save one from the grid: “Save view”)', views);
      return 0;
    }
    const view = await client.call('views.get', { name });
    // What it shows now: the search runs with the view's filters, the rest counts through items.count.
    const { search, region, ...filters } = view.state;
    const within = { ...filters, ...(region && { region: region.ids }) };
    let shown: string;
    let hits: { itemId: number; score: number }[] | null = null;
    if (search) {
      const paging = { k: 20, within, ...(search.minScore !== undefined && { minScore: search.minScore }) };
      const res = 'text' in search ? await client.call('search.text', { query: search.text, ...paging }) : await client.call('search.similar', { itemId: search.similarTo, ...paging });
      hits = res.hits;
      shown = `first ${hits.length} hits${res.more ? ' (more past these)' : ''}:\n${hits.map((h, i) => `${String(i + 1).padStart(3)}. ${h.score.toFixed(4)}  #${h.itemId}`).join('\n')}`;
    } else {
      shown = `${(await client.call('items.count', within)).toLocaleString('en')} items`;
    }
    ctx.print(`${view.name}: ${view.summary}\n${shown}`, { ...view, hits });
    return 0;
  });
}
