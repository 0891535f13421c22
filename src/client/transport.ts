// How the client reaches an API server: one small interface with a buffered call (`do`) and a
// line-streaming call (`stream`, for watches). Implementations: HttpsTransport (a socket, from a
// kubeconfig; https-transport.ts) and InProcessTransport (an ApiServer object in the same
// process, no socket; inprocess-transport.ts). Both keep the API's semantics exactly: same
// paths, query parameters, headers, status codes and bodies.

export interface TransportRequest {
  method: string;
  /** URL path, segments already percent-encoded, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  /** Query parameters; an array value repeats the parameter (`dryRun=All&dryRun=All`). */
  query?: Record<string, string | string[] | undefined>;
  /** Request headers (any case). */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Aborting cancels the request (do: rejects with an AbortError) or closes the stream. */
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface TransportStream {
  status: number;
  headers: Record<string, string>;
  /**
   * The body, one line at a time (chunk-boundary safe, `\n` stripped, empty lines skipped).
   * Completes when the server ends the response or close() is called; throws if the
   * connection fails mid-stream. Breaking out of a `for await` closes the stream.
   */
  lines: AsyncIterable<string>;
  /** Stop reading and release the connection. Idempotent. */
  close(): void;
}

/**
 * Contract: `do` resolves with any HTTP answer, 2xx or not (turning non-2xx answers into
 * errors is the client's job); it rejects only when no answer arrived (connection failure,
 * abort). `stream` resolves as soon as the response headers arrive, whatever the status; the
 * caller must either iterate `lines` to the end or call close(). Both are safe to call
 * concurrently; a transport holds no per-request state.
 */
export interface Transport {
  do(req: TransportRequest): Promise<TransportResponse>;
  stream(req: TransportRequest): Promise<TransportStream>;
}

/** The query string (without `?`) for a TransportRequest; undefined values are skipped. */
export function encodeQuery(query: TransportRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) params.append(k, one);
    else params.append(k, v);
  }
  return params.toString();
}

/** Request headers with names lower-cased. */
export function lowerCaseHeaders(h: Record<string, string | string[] | number | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/** The error a transport rejects with when the caller's signal aborted the request. */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new DOMException(reason instanceof Error ? reason.message : 'the request was aborted', 'AbortError');
  return e as unknown as Error;
}
