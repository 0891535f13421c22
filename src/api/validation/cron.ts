// Cron schedules as CronJobs use them: the standard 5-field syntax (minute hour day-of-month
// month day-of-week, with names, ranges, steps and lists) plus @yearly/@monthly/@weekly/@daily/
// @hourly/@every descriptors and a TZ=/CRON_TZ= prefix, parsed with the error messages of the
// robfig/cron parser upstream uses. Also computes the next activation, for the controller.

export class CronParseError extends Error {}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** A parsed schedule: the allowed values of each field, or an @every interval. */
export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** `*` in day-of-month / day-of-week: cron matches a day if either field matches, unless one is `*`. */
  domStar: boolean;
  dowStar: boolean;
  /** Set for `@every <duration>` schedules (milliseconds). */
  everyMs?: number;
  /** IANA zone from a TZ=/CRON_TZ= prefix. */
  timeZone?: string;
}

function parseUint(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronParseError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number.parseInt(expr, 10);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named !== undefined ? named : parseUint(expr);
}

function parseRange(expr: string, b: Bounds, into: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseUint(rangeAndStep[1]!);
    if (lowAndHigh.length === 1) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronParseError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronParseError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronParseError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) into.add(v);
  return star;
}

function parseField(field: string, b: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const expr of field.split(',').filter((s) => s !== '')) star = parseRange(expr, b, values) || star;
  return { values, star };
}

function all(b: Bounds): Set<number> {
  const s = new Set<number>();
  for (let v = b.min; v <= b.max; v++) s.add(v);
  return s;
}

function fixed(minute: number, hour: number, dom: number | '*', month: number | '*', dow: number | '*'): CronSchedule {
  return {
    minutes: new Set([minute]),
    hours: new Set([hour]),
    daysOfMonth: dom === '*' ? all(DOM) : new Set([dom]),
    months: month === '*' ? all(MONTHS) : new Set([month]),
    daysOfWeek: dow === '*' ? all(DOW) : new Set([dow]),
    domStar: dom === '*',
    dowStar: dow === '*',
  };
}

/** Go duration strings as time.ParseDuration reads them ("1h30m", "90s", "1.5h"). */
function parseGoDuration(s: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  if (s === '0') return 0;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parse a schedule as robfig/cron's ParseStandard does. Throws CronParseError with its message. */
export function parseCronSchedule(input: string): CronSchedule {
  let spec = input;
  if (spec.length === 0) throw new CronParseError('empty spec string');
  let timeZone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const tz = i < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
    if (!validTimeZone(tz)) throw new CronParseError(`provided bad location ${tz}: unknown time zone ${tz}`);
    timeZone = tz;
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  let sched: CronSchedule;
  if (spec.startsWith('@')) {
    switch (spec) {
      case '@yearly':
      case '@annually':
        sched = fixed(0, 0, 1, 1, '*');
        break;
      case '@monthly':
        sched = fixed(0, 0, 1, '*', '*');
        break;
      case '@weekly':
        sched = fixed(0, 0, '*', '*', 0);
        break;
      case '@daily':
      case '@midnight':
        sched = fixed(0, 0, '*', '*', '*');
        break;
      case '@hourly':
        sched = { ...fixed(0, 0, '*', '*', '*'), hours: all(HOURS) };
        break;
      default: {
        if (!spec.startsWith('@every ')) throw new CronParseError(`unrecognized descriptor: ${spec}`);
        const d = spec.slice('@every '.length);
        const ms = parseGoDuration(d);
        if (ms === undefined) throw new CronParseError(`failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(d)}`);
        sched = { ...fixed(0, 0, '*', '*', '*'), everyMs: Math.max(1000, Math.floor(ms / 1000) * 1000) };
      }
    }
  } else {
    const fields = spec.split(/\s+/).filter((f) => f !== '');
    if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    const minute = parseField(fields[0]!, MINUTES);
    const hour = parseField(fields[1]!, HOURS);
    const dom = parseField(fields[2]!, DOM);
    const month = parseField(fields[3]!, MONTHS);
    const dow = parseField(fields[4]!, DOW);
    sched = {
      minutes: minute.values,
      hours: hour.values,
      daysOfMonth: dom.values,
      months: month.values,
      daysOfWeek: dow.values,
      domStar: dom.star,
      dowStar: dow.star,
    };
  }
  if (timeZone) sched.timeZone = timeZone;
  return sched;
}

interface Local {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function localParts(fmt: Intl.DateTimeFormat, t: number): Local {
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(new Date(t))) p[part.type] = part.value;
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour) % 24,
    minute: Number(p.minute),
    weekday: WEEKDAYS[p.weekday!] ?? 0,
  };
}

function dayMatches(s: CronSchedule, l: Local): boolean {
  const dom = s.daysOfMonth.has(l.day);
  const dow = s.daysOfWeek.has(l.weekday);
  if (s.domStar || s.dowStar) return dom && dow;
  return dom || dow;
}

/** The first activation strictly after `after`, in the schedule's zone (its TZ= prefix, else
 *  `timeZone`, default UTC); undefined if none within five years. */
export function nextCronTime(s: CronSchedule, after: Date, timeZone = 'UTC'): Date | undefined {
  if (s.everyMs !== undefined) return new Date(after.getTime() + s.everyMs);
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: s.timeZone ?? timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  });
  const MIN = 60_000;
  let t = Math.floor(after.getTime() / MIN) * MIN + MIN;
  const limit = t + 5 * 366 * 24 * 60 * MIN;
  while (t < limit) {
    const l = localParts(fmt, t);
    if (!s.months.has(l.month) || !dayMatches(s, l)) {
      t += (24 * 60 - (l.hour * 60 + l.minute)) * MIN;
      continue;
    }
    if (!s.hours.has(l.hour)) {
      t += (60 - l.minute) * MIN;
      continue;
    }
    if (s.minutes.has(l.minute)) return new Date(t);
    t += MIN;
  }
  return undefined;
}
