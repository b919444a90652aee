// Issue 13 items 3 and 7 (CLI side): the pull summary says exactly what was verified; the browser opener's argv holds no token.
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeVerification } from '../../main/cli/models';
import { prepareBrowserLaunch } from '../../main/cli/open-browser';

const file = (verification: 'registry' | 'lock' | 'etag' | 'unverified') => ({ path: 'x', bytes: 1, sha256: '0'.repeat(64), verification, resumed: false });

describe('security of CLI output and launches', () => {
  it('never says sha256-verified for files whose hash only the server announced', () => {
    const text = describeVerification([file('etag'), file('etag'), file('registry'), file('unverified')]);
    expect(text).not.toMatch(/sha256-verified/);
    expect(text).toContain('2 files matched only the sha256 the server announced');
    expect(text).toContain('1 file matched a sha256 pinned in the registry');
    expect(text).toContain('1 file had no sha256 to check against');
  });

  it('opens the browser on a private redirect file, so the token is not in the launcher argv', () => {
    const url = 'http://127.0.0.1:4321/?token=SECRET_TOKEN_123';
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const launch = prepareBrowserLaunch(url, platform);
      expect([launch.cmd, ...launch.args].join(' ')).not.toContain('SECRET_TOKEN_123');
      expect(readFileSync(launch.redirectFile, 'utf8')).toContain('url=http://127.0.0.1:4321/?token=SECRET_TOKEN_123');
      expect(statSync(launch.redirectFile).mode & 0o077).toBe(0);
    }
  });
});
