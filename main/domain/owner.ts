// How a project's owner is named to other processes (no imports: the renderer bundle stays free of zod).

/** One line for other processes: "pid 4121 on host-a (winnow embed, since 12:01:07 UTC)". */
export function describeOwner(o: { pid: number; host: string; command: string; startedAt: string }): string {
  return `pid ${o.pid} on ${o.host} (${o.command}, since ${o.startedAt.slice(11, 19)} UTC)`;
}
