// Test helper (not a test): a tiny HTTPS server on 127.0.0.1:0 using a Pki and an
// Authenticator. GET /version answers like a 1.32 apiserver (kubectl's dispatcher probes it);
// every other path answers 200 with the authenticated user as JSON, or 401 if none.

import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { authRequestFrom } from './authenticator.ts';
import type { Authenticator } from './authenticator.ts';
import { tlsServerOptions } from './pki.ts';
import type { Pki } from './pki.ts';

export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startTestServer(pki: Pki, authenticator: Authenticator): Promise<TestServer> {
  const server = createServer(tlsServerOptions(pki), (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    res.setHeader('Content-Type', 'application/json');
    if (path === '/version') {
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0' }));
      return;
    }
    const user = authenticator.authenticate(authRequestFrom(req));
    if (!user) {
      res.statusCode = 401;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 }));
      return;
    }
    res.end(JSON.stringify(user));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
