// The parts of the PKI the running server needs, without the certificate library: TLS options
// from a Pki, and ensurePki run in a short-lived child process, so @peculiar/x509 and its
// dependencies (~18 MB resident) never load into the server's own thread.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Pki } from './pki.ts';

/**
 * ensurePki in a short-lived child process (the same Node binary), so the certificate library
 * never loads into the calling process: a worker thread would leave its memory in the
 * process's allocator arenas. Same result and errors as ensurePki; ~0.3 s per start.
 */
export function ensurePkiIsolated(dir: string, opts: { hosts: string[] }): Promise<Pki> {
  const self = import.meta.url;
  const entry = fileURLToPath(new URL(self.endsWith('.ts') ? './pki-worker.ts' : './pki-worker.js', self));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [entry, JSON.stringify({ dir, hosts: opts.hosts })], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`certificate set-up failed: ${stderr.trim() || err.message}`));
        return;
      }
      resolve(JSON.parse(stdout) as Pki);
    });
  });
}

export function tlsServerOptions(pki: Pki): { key: string; cert: string; ca: string; requestCert: true; rejectUnauthorized: false } {
  return { key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false };
}
