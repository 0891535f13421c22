// Key-range helper shared by the backends: the upper bound of a prefix. Keys are compared as
// JavaScript strings (UTF-16 code units), which equals byte order for the ASCII keys skiff
// uses (/registry/<group>/<resource>/<namespace>/<name>); SQLite and etcd compare bytes.

/**
 * The smallest string greater than every string that starts with `prefix`, or null when there
 * is none (empty prefix, or a prefix made only of U+FFFF). `[prefix, prefixEnd(prefix))` is
 * exactly the set of keys under the prefix.
 */
export function prefixEnd(prefix: string): string | null {
  let end = prefix;
  while (end.length > 0 && end.charCodeAt(end.length - 1) === 0xffff) end = end.slice(0, -1);
  if (end.length === 0) return null;
  return end.slice(0, -1) + String.fromCharCode(end.charCodeAt(end.length - 1) + 1);
}
