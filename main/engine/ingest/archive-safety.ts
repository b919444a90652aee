// Per-member checks for archives: a refused member becomes an issue and the import goes on.

/** Largest member Winnow reads into memory; larger declared sizes are refused (an image shard never needs more). */
export const MAX_MEMBER_BYTES = 64 * 1024 * 1024;

/** Why a member must be refused, or null when it is safe to read. */
export function unsafeMember(name: string, type: string | null | undefined, size: number | null | undefined): { kind: string; message: string } | null {
  if (type && type !== 'file' && type !== 'contiguous-file') {
    if (type === 'directory') return null;
    return { kind: 'archive_link', message: `member ${JSON.stringify(name)} is a ${type}, not a regular file; links in archives are not followed` };
  }
  if (name.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(name) || name.startsWith('\\')) {
    return { kind: 'archive_absolute_path', message: `member ${JSON.stringify(name)} has an absolute path` };
  }
  if (name.split(/[\\/]/).some((part) => part === '..')) {
    return { kind: 'archive_traversal', message: `member ${JSON.stringify(name)} has a ".." component` };
  }
  if (name.includes('\0')) return { kind: 'archive_bad_name', message: 'member name contains a NUL byte' };
  if (size !== null && size !== undefined && (size < 0 || size > MAX_MEMBER_BYTES)) {
    return { kind: 'archive_member_too_large', message: `member ${JSON.stringify(name)} declares ${size} bytes, above the ${MAX_MEMBER_BYTES} byte limit` };
  }
  return null;
}
