// The small JSONPath subset that CustomResourceDefinition additionalPrinterColumns use
// (Kubernetes' jsonpath without the braces): `.a.b`, escaped dots (`.labels.app\.io/name`),
// `['key']`, `[2]`, `[-1]`, `[*]`, `.*` and filters `[?(@.type=="Ready")]` with
// ==, !=, <, <=, >, >= or plain existence. Missing keys give no results (never an error).

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: Step[]; op?: string; value?: string | number | boolean };

export interface CompiledPath {
  steps: Step[];
}

function readName(src: string, pos: number): [string, number] {
  let name = '';
  while (pos < src.length) {
    const ch = src[pos];
    if (ch === '\\' && pos + 1 < src.length) {
      name += src[pos + 1];
      pos += 2;
      continue;
    }
    if (ch === '.' || ch === '[') break;
    name += ch;
    pos++;
  }
  return [name, pos];
}

function parseLiteral(text: string): string | number | boolean {
  const t = text.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  if (t !== '' && !Number.isNaN(n)) return n;
  throw new Error(`unrecognized literal ${text}`);
}

function parseFilter(body: string): Step {
  // body is what is inside `?( ... )`
  const m = /^\s*@((?:\.[^=!<>\s]+)*)\s*(==|!=|<=|>=|<|>)?\s*(.*?)\s*$/.exec(body);
  if (!m) throw new Error(`unrecognized filter ${body}`);
  const path = compileJsonPath(m[1] || '').steps;
  if (!m[2]) return { kind: 'filter', path };
  return { kind: 'filter', path, op: m[2], value: parseLiteral(m[3]) };
}

/** Parse a path like `.status.conditions[?(@.type=="Ready")].status`. Throws on syntax errors. */
export function compileJsonPath(path: string): CompiledPath {
  let src = path.trim();
  if (src.startsWith('{') && src.endsWith('}')) src = src.slice(1, -1).trim();
  if (src.startsWith('$')) src = src.slice(1);
  const steps: Step[] = [];
  let pos = 0;
  while (pos < src.length) {
    const ch = src[pos];
    if (ch === '.') {
      pos++;
      if (src[pos] === '*') {
        steps.push({ kind: 'wildcard' });
        pos++;
        continue;
      }
      const [name, next] = readName(src, pos);
      if (name === '') {
        if (pos >= src.length) break; // a lone "." is the object itself
        throw new Error(`empty field name in ${path}`);
      }
      steps.push({ kind: 'field', name });
      pos = next;
    } else if (ch === '[') {
      const close = src.startsWith('[?(', pos) ? src.indexOf(')]', pos) + 1 : src.indexOf(']', pos);
      if (close <= pos) throw new Error(`unterminated [ in ${path}`);
      const inner = src.slice(pos + 1, close).trim();
      pos = close + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^(['"]).*\1$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else throw new Error(`unsupported subscript [${inner}] in ${path}`);
    } else {
      throw new Error(`unexpected ${ch} in ${path}`);
    }
  }
  return { steps };
}

function compare(a: unknown, op: string, b: string | number | boolean): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default: {
      if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
      const x = a as number | string;
      const y = b as number | string;
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
  }
}

function applyStep(values: unknown[], step: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (v === null || typeof v !== 'object') continue;
    switch (step.kind) {
      case 'field':
        if (!Array.isArray(v) && Object.hasOwn(v, step.name)) out.push((v as Record<string, unknown>)[step.name]);
        break;
      case 'index':
        if (Array.isArray(v)) {
          const i = step.index < 0 ? v.length + step.index : step.index;
          if (i >= 0 && i < v.length) out.push(v[i]);
        }
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...v);
        else for (const k of Object.keys(v).sort()) out.push((v as Record<string, unknown>)[k]);
        break;
      case 'filter':
        for (const item of Array.isArray(v) ? v : [v]) {
          const found = evaluate({ steps: step.path }, item);
          if (step.op === undefined ? found.length > 0 : found.length > 0 && compare(found[0], step.op, step.value!)) out.push(item);
        }
        break;
    }
  }
  return out;
}

/** All values the path selects in `root`, in document order. */
export function evaluate(path: CompiledPath, root: unknown): unknown[] {
  let values: unknown[] = [root];
  for (const step of path.steps) values = applyStep(values, step);
  return values;
}
