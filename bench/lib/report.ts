// What a benchmark hands back to run.ts besides its printed section: the figures held against
// the targets, printed together at the end of the run.

export interface Check {
  backend: string;
  what: string;
  value: string;
  target: string;
  ok: boolean;
}

export type Out = (text: string) => void;

/** Prints a section header with the conditions of this benchmark. */
export function section(out: Out, title: string, conditions: string): void {
  out(`\n=== ${title} ===`);
  out(conditions);
}
