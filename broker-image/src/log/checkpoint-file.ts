// Kafka's checkpoint text files (leader-epoch-checkpoint, replication-offset-checkpoint, …):
// a version line, an entry-count line, then one entry per line. Written atomically: a temp
// file is written and fsynced, renamed over the old one, and the directory fsynced.

import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface CheckpointFormat<T> {
  version: number;
  format(entry: T): string;
  /** The entry on a line, or null when the line is malformed. */
  parse(line: string): T | null;
}

/** The file exists but does not follow the format: a torn or foreign file. */
export class CheckpointError extends Error {
  constructor(path: string, why: string) {
    super(`malformed checkpoint ${path}: ${why}`);
    this.name = 'CheckpointError';
  }
}

/** The file's entries, or null when there is no file. Throws CheckpointError when it is malformed. */
export async function readCheckpoint<T>(path: string, fmt: CheckpointFormat<T>): Promise<T[] | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length < 2) throw new CheckpointError(path, 'no version and count lines');
  if (lines[0].trim() !== String(fmt.version)) throw new CheckpointError(path, `version ${JSON.stringify(lines[0])}, expected ${fmt.version}`);
  if (!/^\d+$/.test(lines[1].trim())) throw new CheckpointError(path, `count ${JSON.stringify(lines[1])}`);
  const count = Number(lines[1].trim());
  if (lines.length - 2 !== count) throw new CheckpointError(path, `${lines.length - 2} entries, expected ${count}`);
  const out: T[] = [];
  for (let i = 2; i < lines.length; i++) {
    const entry = fmt.parse(lines[i]);
    if (entry === null) throw new CheckpointError(path, `line ${i + 1}: ${JSON.stringify(lines[i])}`);
    out.push(entry);
  }
  return out;
}

/** `durable: false` skips the fsyncs (still atomic: readers see the old or the new file whole). */
export async function writeCheckpoint<T>(path: string, fmt: CheckpointFormat<T>, entries: readonly T[], opts: { durable?: boolean } = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const text = [String(fmt.version), String(entries.length), ...entries.map((e) => fmt.format(e))].join('\n') + '\n';
  const tmp = path + '.tmp';
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (durable) await fsyncDir(dirname(path));
}

/** Makes renames and unlinks in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// ------------------------------------------------------------ offset checkpoints

/** The key of a partition in an offset checkpoint map: `topic partition`, as on the file's lines. */
export const offsetCheckpointKey = (topic: string, partition: number): string => `${topic} ${partition}`;

const offsetFormat: CheckpointFormat<[string, bigint]> = {
  version: 0,
  format: ([key, offset]) => `${key} ${offset}`,
  parse(line) {
    const m = /^(\S+) (\d+) (-?\d+)$/.exec(line.trim());
    return m ? [`${m[1]} ${m[2]}`, BigInt(m[3])] : null;
  },
};

/** `topic partition offset` lines (replication-offset-checkpoint, recovery-point-offset-checkpoint…); empty when there is no file. */
export async function readOffsetCheckpoint(path: string): Promise<Map<string, bigint>> {
  return new Map(await readCheckpoint(path, offsetFormat) ?? []);
}

/** Keys are offsetCheckpointKey(topic, partition). */
export async function writeOffsetCheckpoint(path: string, offsets: ReadonlyMap<string, bigint>): Promise<void> {
  for (const key of offsets.keys()) {
    if (!/^\S+ \d+$/.test(key)) throw new Error(`offset checkpoint key ${JSON.stringify(key)} is not "topic partition"`);
  }
  await writeCheckpoint(path, offsetFormat, [...offsets]);
}
