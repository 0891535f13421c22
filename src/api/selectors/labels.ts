// Label selectors: the string syntax (`app=web,tier!=db,env in (a,b),!legacy`) parsed with
// upstream's lexer/parser rules and error messages, the object form ({matchLabels,
// matchExpressions}) converted as LabelSelectorAsSelector does, matching, and printing.

import { SkiffError } from '../../base/errors.ts';
import { isQualifiedName, isValidLabelValue } from '../validation/names.ts';
import { formatValue } from '../validation/field.ts';

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** One value for = == != gt lt; one or more for in/notin; none for exists/!. */
  values: string[];
}

/** Bad selector syntax or content. The message is upstream's, e.g.
 *  `unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt`. */
export class LabelSelectorParseError extends SkiffError {
  constructor(message: string) {
    super('LabelSelectorParse', message);
  }
}

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

/** An AND of requirements; immutable. `nothing` selects no object at all (a nil selector). */
export class LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  readonly nothing: boolean;

  constructor(requirements: LabelRequirement[], nothing = false) {
    // Upstream sorts requirements by key (stable) for a deterministic form.
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.nothing = nothing;
  }

  static everything(): LabelSelector {
    return new LabelSelector([]);
  }

  static nothing(): LabelSelector {
    return new LabelSelector([], true);
  }

  /** True when it selects everything (no requirements). */
  empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  matches(labels: Record<string, string> | undefined | null): boolean {
    if (this.nothing) return false;
    const ls = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, ls));
  }

  /** Selector syntax, as upstream prints it (values of in/notin sorted). */
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

function has(ls: Record<string, string>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(ls, k);
}

function requirementMatches(r: LabelRequirement, ls: Record<string, string>): boolean {
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has(ls, r.key) && r.values.includes(ls[r.key]!);
    case 'notin':
    case '!=':
      return !has(ls, r.key) || !r.values.includes(ls[r.key]!);
    case 'exists':
      return has(ls, r.key);
    case '!':
      return !has(ls, r.key);
    case 'gt':
    case 'lt': {
      if (!has(ls, r.key) || r.values.length !== 1) return false;
      const lv = parseInt64(ls[r.key]!);
      const rv = parseInt64(r.values[0]!);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v > (1n << 63n) - 1n || v < -(1n << 63n)) return undefined;
  return v;
}

function requirementString(r: LabelRequirement): string {
  let s = r.operator === '!' ? `!${r.key}` : r.key;
  switch (r.operator) {
    case 'exists':
    case '!':
      return s;
    case 'in':
    case 'notin':
      s += ` ${r.operator} (`;
      break;
    case 'gt':
      s += '>';
      break;
    case 'lt':
      s += '<';
      break;
    default:
      s += r.operator;
  }
  s += r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
  if (r.operator === 'in' || r.operator === 'notin') s += ')';
  return s;
}

// ---- building requirements with upstream's validation (NewRequirement) ----

/** Validates like upstream's NewRequirement; returns the requirement or the aggregated error text. */
export function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(`key: Invalid value: ${formatValue(key)}: ${keyErrs.join('; ')}`);
  const bad = (detail: string): void => void errs.push(`values: Invalid value: ${formatValue(values)}: ${detail}`);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) bad("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) bad('exact-match compatibility requires one single value');
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) bad('values set must be empty for exists and does not exist');
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) bad("for 'Gt', 'Lt' operators, exactly one value is required");
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(`values[${i}]: Invalid value: ${formatValue(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
        }
      });
      break;
  }
  values.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length) errs.push(`values[${i}][${key}]: Invalid value: ${formatValue(v)}: ${ve.join('; ')}`);
  });
  if (errs.length === 1) throw new LabelSelectorParseError(errs[0]!);
  if (errs.length > 1) throw new LabelSelectorParseError(`[${errs.join(', ')}]`);
  return { key, operator, values };
}

// ---- the string syntax: lexer ----

type Tok = 'id' | 'end' | 'error' | '(' | ')' | ',' | '!' | '==' | '=' | '>' | '<' | '!=' | 'in' | 'notin';
interface Item {
  tok: Tok;
  lit: string;
}

const KEYWORDS: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push({ tok: 'end', lit: '' });
      return items;
    }
    if (isSpecial(s[pos]!)) {
      let buf = '';
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        const next = buf + s[pos]!;
        const t = KEYWORDS[next];
        if (t) {
          last = { tok: t, lit: next };
          buf = next;
          pos++;
        } else if (last) {
          break;
        } else {
          buf = next;
          pos++;
        }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let buf = '';
    while (pos < s.length && !isSpecial(s[pos]!) && !isWhitespace(s[pos]!)) buf += s[pos++]!;
    items.push({ tok: KEYWORDS[buf] ?? 'id', lit: buf });
  }
}

// ---- the string syntax: parser ----

class Parser {
  private readonly items: Item[];
  private pos = 0;

  constructor(s: string) {
    this.items = lex(s);
  }

  /** In the values context the keywords in/notin are plain identifiers. */
  private look(values: boolean): Item {
    const it = this.items[this.pos]!;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private take(values: boolean): Item {
    const it = this.look(values);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.look(true);
      if (tok === 'id' || tok === '!') {
        let r: LabelRequirement;
        try {
          r = this.requirement();
        } catch (e) {
          throw new LabelSelectorParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const t = this.take(true);
        if (t.tok === 'end') return reqs;
        if (t.tok === ',') {
          const t2 = this.look(true);
          if (t2.tok !== 'id' && t2.tok !== '!') {
            throw new LabelSelectorParseError(`found '${t2.lit}', expected: identifier after ','`);
          }
          continue;
        }
        throw new LabelSelectorParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
      }
      if (tok === 'end') return reqs;
      throw new LabelSelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private requirement(): LabelRequirement {
    let notExists = false;
    let t = this.take(true);
    if (t.tok === '!') {
      notExists = true;
      t = this.take(true);
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new Error(`<nil>: Invalid value: ${formatValue(key)}: ${keyErrs.join('; ')}`);
    // `!key` is complete by itself; anything after it is left for the caller to reject.
    if (notExists) return newRequirement(key, '!', []);
    const next = this.look(true).tok;
    if (next === 'end' || next === ',') return newRequirement(key, 'exists', []);
    const op = this.operator();
    const values = op === 'in' || op === 'notin' ? this.setValues() : this.exactValue();
    return newRequirement(key, op, values);
  }

  private operator(): LabelOperator {
    const t = this.take(false);
    switch (t.tok) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new Error(`found '${t.lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private setValues(): string[] {
    const t = this.take(true);
    if (t.tok !== '(') throw new Error(`found '${t.lit}' expected: '('`);
    const next = this.look(true);
    if (next.tok === 'id' || next.tok === ',') {
      const set = this.identifierList();
      const close = this.take(true);
      if (close.tok !== ')') throw new Error(`found '${next.lit}', expected: ')'`);
      return [...set].sort();
    }
    if (next.tok === ')') {
      this.take(true);
      return [''];
    }
    throw new Error(`found '${next.lit}', expected: ',', ')' or identifier`);
  }

  private identifierList(): Set<string> {
    const set = new Set<string>();
    for (;;) {
      const t = this.take(true);
      if (t.tok === 'id') {
        set.add(t.lit);
        const t2 = this.look(true);
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return set;
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      }
      if (t.tok === ',') {
        if (set.size === 0) set.add('');
        const t2 = this.look(true);
        if (t2.tok === ')') {
          set.add('');
          return set;
        }
        if (t2.tok === ',') {
          this.take(true);
          set.add('');
        }
        continue;
      }
      throw new Error(`found '${t.lit}', expected: ',', or identifier`);
    }
  }

  private exactValue(): string[] {
    const next = this.look(true);
    if (next.tok === 'end' || next.tok === ',') return [''];
    const t = this.take(true);
    if (t.tok === 'id') return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/** Parse selector syntax; the empty string selects everything. Throws LabelSelectorParseError. */
export function parseLabelSelector(s: string): LabelSelector {
  return new LabelSelector(new Parser(s).parse());
}

// ---- the object form ----

export interface LabelSelectorRequirementObject {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirementObject[] | null;
}

const OBJECT_OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** Convert a metav1.LabelSelector as upstream's LabelSelectorAsSelector: null/undefined selects
 *  nothing, `{}` selects everything. Throws LabelSelectorParseError on bad content. */
export function fromLabelSelectorObject(obj: LabelSelectorObject | null | undefined): LabelSelector {
  if (obj === null || obj === undefined) return LabelSelector.nothing();
  const ml = obj.matchLabels ?? {};
  const me = obj.matchExpressions ?? [];
  if (Object.keys(ml).length === 0 && me.length === 0) return LabelSelector.everything();
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(ml)) reqs.push(newRequirement(k, '=', [String(v)]));
  for (const e of me) {
    const op = OBJECT_OPERATORS[e.operator];
    if (!op) throw new LabelSelectorParseError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return new LabelSelector(reqs);
}

/** Selector syntax of an object selector (upstream LabelSelectorAsSelector(sel).String());
 *  '' for a nil or empty selector, and for a selector that does not convert. */
export function labelSelectorToString(obj: LabelSelectorObject | null | undefined): string {
  try {
    return fromLabelSelectorObject(obj).toString();
  } catch {
    return '';
  }
}

/** Whether labels satisfy an object selector (nil selects nothing; an invalid one selects nothing). */
export function labelSelectorObjectMatches(obj: LabelSelectorObject | null | undefined, labels: Record<string, string> | undefined): boolean {
  try {
    return fromLabelSelectorObject(obj).matches(labels);
  } catch {
    return false;
  }
}

/** A selector from a plain map (Service.spec.selector, RC selector): every pair must match. */
export function fromSet(set: Record<string, string> | null | undefined): LabelSelector {
  if (!set || Object.keys(set).length === 0) return LabelSelector.everything();
  return new LabelSelector(Object.entries(set).map(([key, v]) => ({ key, operator: '=' as const, values: [String(v)] })));
}
