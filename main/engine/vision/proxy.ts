import { createRequire } from 'node:module';
import type { Dispatcher, ProxyAgent } from 'undici';

// undici (~1 MB of JavaScript) is loaded when a proxy is first used, not by every command that imports this file.
const require = createRequire(import.meta.url);

type Env = Record<string, string | undefined>;

function envValue(env: Env, name: string): string | undefined {
  // Lowercase wins, as in curl and most tools; an empty value disables the variable.
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value && value.trim() ? value.trim() : undefined;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** curl's NO_PROXY rules: `*`, exact hosts, domain suffixes (with or without a leading dot), optional :port. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || defaultPort(target.protocol);
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((rawEntry) => {
      if (rawEntry === '*') return true;
      let entry = rawEntry.toLowerCase();
      let entryPort: string | undefined;
      const portMatch = /^(.*):(\d+)$/.exec(entry);
      if (portMatch && !entry.includes('::')) {
        entry = portMatch[1];
        entryPort = portMatch[2];
      }
      entry = entry.replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
      if (entryPort && entryPort !== port) return false;
      return host === entry || host.endsWith(`.${entry}`);
    });
}

/** The proxy URL a request to `url` should use, or undefined to connect directly. */
export function proxyFor(url: string | URL, env: Env = process.env): string | undefined {
  const target = new URL(url);
  if (bypassesProxy(target, envValue(env, 'no_proxy'))) return undefined;
  const scheme = target.protocol === 'https:' ? 'https_proxy' : 'http_proxy';
  return envValue(env, scheme) ?? envValue(env, 'all_proxy');
}

const agents = new Map<string, ProxyAgent>();

/** An undici dispatcher for `url`: a (shared) ProxyAgent when a proxy applies, else the default agent. */
export function dispatcherFor(url: string | URL, env: Env = process.env): Dispatcher | undefined {
  const proxy = proxyFor(url, env);
  if (!proxy) return undefined;
  let agent = agents.get(proxy);
  if (!agent) {
    const undici = require('undici') as typeof import('undici');
    agent = new undici.ProxyAgent({ uri: proxy });
    agents.set(proxy, agent);
  }
  return agent;
}
