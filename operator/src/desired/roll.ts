// The rolling-restart decision, pure: which outdated broker to restart next,
// or why not now. Highest ordinal first, the Metadata controller last, and
// nothing while any partition is under-replicated (ISR smaller than replicas).
export interface RollCandidate {
  name: string;
  ordinal: number;
}

export interface PartitionReplicas {
  topic: string;
  partition: number;
  replicas: number[];
  isr: number[];
}

export type RollChoice<P extends RollCandidate> = { victim: P; order: P[] } | { blocked: string };

export function chooseRollVictim<P extends RollCandidate>(outdated: P[], partitions: PartitionReplicas[], controllerId: number): RollChoice<P> {
  const under = [...new Set(partitions.filter((p) => p.isr.length < p.replicas.length).map((p) => `${p.topic}-${p.partition} (isr ${p.isr.join(',') || 'empty'} of ${p.replicas.join(',')})`))];
  if (under.length) {
    return { blocked: `rolling update paused: ${under.length} under-replicated partition(s): ${under.slice(0, 10).join(', ')}${under.length > 10 ? ', ...' : ''}` };
  }
  const order = [...outdated].sort((a, b) => b.ordinal - a.ordinal);
  const ci = order.findIndex((p) => p.ordinal === controllerId);
  if (ci >= 0 && order.length > 1) order.push(...order.splice(ci, 1));
  return { victim: order[0]!, order };
}
