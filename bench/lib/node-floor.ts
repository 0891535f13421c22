// The memory floor of the platform the node agent runs on: a minimal Node program that does what
// every agent must (an HTTPS server with a TLS certificate, and an HTTPS client with keep-alive
// talking to it), run on the same pinned Node with the same V8 flags bin/skiff gives `skiff
// agent`. Its VmRSS, measured in the same run as the agent's, is the baseline the agent's memory
// figure is held against: most of it is the Node binary's own code and data pages (RssFile).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
/** The flags bin/skiff passes for `skiff agent`. */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'];

export interface FloorReading {
  rss: number;
  anon: number;
  file: number;
}

const CHILD = `
import https from 'node:https'; import fs from 'node:fs';
const [cert, key] = [fs.readFileSync(process.argv[1] + '/c.pem'), fs.readFileSync(process.argv[1] + '/k.pem')];
const srv = https.createServer({ cert, key }, (q, s) => s.end('{"kind":"Status"}'));
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const agent = new https.Agent({ keepAlive: true, ca: cert });
for (let i = 0; i < 50; i++) await new Promise((r, j) => https.get({ host: '127.0.0.1', port: srv.address().port, agent }, (res) => { res.resume(); res.on('end', r); }).on('error', j));
await new Promise((r) => setTimeout(r, 1000));
const st = fs.readFileSync('/proc/self/status', 'utf8');
const kb = (f) => Number(new RegExp('^' + f + ':\\\\s*(\\\\d+) kB', 'm').exec(st)[1]) * 1024;
console.log(JSON.stringify({ rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') }));
process.exit(0);
`;

/** Run the floor program once and return its memory after its requests settled. */
export async function measureNodeFloor(): Promise<FloorReading> {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-bench-floor-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${dir}/k.pem`, '-out', `${dir}/c.pem`,
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const child = spawn(NODE, [...AGENT_NODE_FLAGS, '--input-type=module', '-e', CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    if (code !== 0) throw new Error(`the Node floor program exited ${code}`);
    return JSON.parse(out) as FloorReading;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
