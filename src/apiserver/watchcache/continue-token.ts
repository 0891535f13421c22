// Continue tokens for paged lists, in upstream's shape: base64url (no padding) of
// {"v":"meta.k8s.io/v1","rv":<revision of the first page>,"start":"<next key, relative to the
// listed prefix>"}. `start` is the last returned key followed by "\u0000", i.e. the smallest
// key that sorts after it, so a page resumes at the first key >= start.

import { InvalidContinueError } from './errors.ts';

const VERSION = 'meta.k8s.io/v1';

export interface ContinuePosition {
  /** Revision every page of this list is read at. */
  rv: number;
  /** Resume at the first key >= start (relative to the listed prefix). */
  start: string;
}

/** Token for the page that follows `lastKey` (relative to the listed prefix). */
export function encodeContinue(rv: number, lastRelativeKey: string): string {
  const json = JSON.stringify({ v: VERSION, rv, start: lastRelativeKey + '\u0000' });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Decode and validate a token (InvalidContinueError when it is not one of ours). */
export function decodeContinue(token: string): ContinuePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidContinueError('not a valid encoded token');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidContinueError('not a valid encoded token');
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (p.v !== VERSION) throw new InvalidContinueError(`server does not recognize this encoded key version ${JSON.stringify(p.v)}`);
  if (typeof p.rv !== 'number' || !Number.isSafeInteger(p.rv) || p.rv <= 0) {
    throw new InvalidContinueError(`incorrect encoded start resourceVersion (version ${VERSION})`);
  }
  if (typeof p.start !== 'string' || !p.start.endsWith('\u0000') || p.start.length < 2) {
    throw new InvalidContinueError('encoded start key is not a key position');
  }
  if (p.start.startsWith('/') || p.start.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw new InvalidContinueError('encoded start key is not a clean relative path');
  }
  return { rv: p.rv, start: p.start };
}

/** The backend `startAfter` key (exclusive) equivalent to a token's start: the last key returned. */
export function startAfterKey(prefix: string, start: string): string {
  return prefix + start.slice(0, -1);
}
