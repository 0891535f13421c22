// The 409 an apply answers when it would change fields other managers own, worded as upstream
// words it (kubectl prints the message, then its "Please review the fields above" help).

import { ApiError, type StatusCause } from '../../base/errors.ts';
import { pathString } from './fieldpath.ts';
import { parseIdentifier } from './managedfields.ts';
import type { Conflict } from './updater.ts';

/** `"kubectl"`, `"kube-controller-manager" using apps/v1`, `"x" with subresource "status" using v1`. */
export function printManager(id: string): string {
  let info;
  try {
    info = parseIdentifier(id);
  } catch {
    return JSON.stringify(id);
  }
  let s = JSON.stringify(info.manager ?? '');
  if (info.subresource) s = `${s} with subresource ${JSON.stringify(info.subresource)}`;
  if (info.operation === 'Update') s = `${s} using ${info.apiVersion ?? ''}`;
  return s;
}

/** The message: one conflict on one line, several grouped by manager (sorted). */
export function conflictMessage(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${pathString(c.path)}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const list = byManager.get(c.manager) ?? [];
    list.push(pathString(c.path));
    byManager.set(c.manager, list);
  }
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${printManager(m)}:`);
    for (const p of byManager.get(m)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** 409 Conflict with one FieldManagerConflict cause per conflicting field. */
export function conflictError(conflicts: readonly Conflict[]): ApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  return new ApiError(409, 'Conflict', conflictMessage(conflicts), { causes });
}
