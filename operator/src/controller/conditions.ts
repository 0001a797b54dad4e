// metav1.Condition bookkeeping: lastTransitionTime moves only when the status does.
import type { Condition } from '../api/v1alpha1.ts';

export type ConditionInput = { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message?: string };

export function setConditions(existing: Condition[] | undefined, next: ConditionInput[], generation: number | undefined, now = new Date()): Condition[] {
  const byType = new Map((existing ?? []).map((c) => [c.type, c]));
  return next.map((n) => {
    const old = byType.get(n.type);
    const lastTransitionTime = old && old.status === n.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    // An empty message is left out: 1.20's merge patch of a custom resource's
    // status turns "" inside a list item into null, which the schema refuses.
    const message = (n.message ?? '').slice(0, 32768);
    return {
      type: n.type, status: n.status, reason: n.reason, ...(message ? { message } : {}),
      lastTransitionTime, ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
}

export function condition(conds: Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}
