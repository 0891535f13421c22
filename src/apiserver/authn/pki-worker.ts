// Child-process entry of ensurePkiIsolated (pki-isolated.ts): runs ensurePki for the directory
// and hosts given as one JSON argument and prints the Pki as JSON on stdout. Errors go to
// stderr with a non-zero exit code.

import { ensurePki } from './pki.ts';

const { dir, hosts } = JSON.parse(process.argv[2] ?? '{}') as { dir: string; hosts: string[] };
try {
  process.stdout.write(JSON.stringify(await ensurePki(dir, { hosts })));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
