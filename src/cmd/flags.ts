// A small flag parser for the skiff command: `--name value`, `--name=value`, boolean `--flag`,
// repeated flags collected. Unknown flags are an error naming the flag.

export interface FlagSpec {
  /** Flag name without dashes → kind. */
  [name: string]: 'string' | 'int' | 'bool' | 'list';
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export class FlagError extends Error {}

export function parseFlags(args: string[], spec: FlagSpec): { flags: FlagValues; rest: string[] } {
  const flags: FlagValues = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const kind = spec[name];
    if (!kind) throw new FlagError(`unknown flag: --${name}`);
    let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
    if (kind === 'bool') {
      flags[name] = value === undefined ? true : value === 'true';
      continue;
    }
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new FlagError(`flag --${name} needs a value`);
    }
    if (kind === 'int') {
      if (!/^\d+$/.test(value)) throw new FlagError(`flag --${name}: "${value}" is not a non-negative integer`);
      flags[name] = Number(value);
    } else if (kind === 'list') {
      const cur = (flags[name] as string[] | undefined) ?? [];
      cur.push(...value.split(',').filter((x) => x !== ''));
      flags[name] = cur;
    } else {
      flags[name] = value;
    }
  }
  return { flags, rest };
}
