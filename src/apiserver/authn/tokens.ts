// Static bearer tokens in the upstream --token-auth-file format, one user per CSV record:
//   token,user,uid[,"group1,group2"]
// Records need at least three fields; a record with an empty token is skipped; a quoted
// fourth field holds comma-separated groups. ensureTokenFile() creates the file with one
// generated admin token on first start so `skiff server` can print or use it.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.ts';
import { TokenAuthenticator } from './authenticator.ts';
import type { TokenEntry } from './authenticator.ts';

/** Parses token-file text. Throws (naming the line) on a record with fewer than 3 fields or a broken quote. */
export function parseTokenFile(text: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  for (const { line, fields } of parseCsv(text)) {
    if (fields.length < 3) {
      throw new Error(`token file line ${line}: must have at least 3 columns (token, user name, user uid), found ${fields.length}`);
    }
    const [token, name, uid, groups] = fields as [string, string, string, string | undefined];
    if (token === '') continue;
    entries.push({
      token,
      user: {
        name,
        ...(uid ? { uid } : {}),
        groups: (groups ?? '').split(',').map((g) => g.trim()).filter((g) => g !== ''),
      },
    });
  }
  return entries;
}

/** Reads a token file and returns an authenticator for it. */
export async function loadTokenFile(path: string): Promise<TokenAuthenticator> {
  return new TokenAuthenticator(parseTokenFile(await readFile(path, 'utf8')));
}

/**
 * Creates `path` (mode 0600) with one generated token for user admin in system:masters
 * if it does not exist, and returns the admin token: the new one, or the token of the
 * existing file's first record for user "admin" (undefined if it has none).
 */
export async function ensureTokenFile(path: string): Promise<string | undefined> {
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) return parseTokenFile(text).find((e) => e.user.name === 'admin')?.token;
  const token = randomBytes(32).toString('hex');
  await writeFileAtomic(path, `${token},admin,admin,"system:masters"\n`, 0o600);
  return token;
}

/** RFC 4180-style CSV as Go's encoding/csv reads it: quotes, "" escapes, blank lines skipped. */
function parseCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let atFieldStart = true;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += c;
      atFieldStart = false;
    }
  }
  if (quoted) throw new Error(`token file line ${recordLine}: unterminated quoted field`);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
