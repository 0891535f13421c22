// DESIGN.md layering: the client sits below the apiserver and the store. Its code may import
// their types (`import type`), never their modules at runtime. Tests are exempt.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const FORBIDDEN = /^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+['"](\.\.\/(?:apiserver|store|controllers|scheduler|agent|proxy|dns|cmd)\/[^'"]*)['"]/gm;

test('layering: client code imports nothing above it at runtime', async () => {
  const offenders: string[] = [];
  for (const f of await readdir(here)) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
    const text = await readFile(join(here, f), 'utf8');
    for (const m of text.matchAll(FORBIDDEN)) offenders.push(`${f}: ${m[1]}`);
  }
  assert.deepEqual(offenders, []);
});
