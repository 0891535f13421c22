// Splitting a text stream into lines when chunks may end anywhere, even inside a line (the
// watch protocol is one JSON event per line; TCP and TLS cut it where they like).

/**
 * Contract: feed chunks in order with push(); every complete line (without its `\n`, and
 * without a trailing `\r`) comes out exactly once, in order. end() returns the unterminated
 * rest, if any. Empty lines are dropped (a watch stream has none worth reading).
 */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop()!;
    return parts.map(stripCr).filter((l) => l !== '');
  }

  end(): string[] {
    const last = stripCr(this.rest);
    this.rest = '';
    return last === '' ? [] : [last];
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
