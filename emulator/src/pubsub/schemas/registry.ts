// google.pubsub.v1.SchemaService: schemas with revisions, kept in the state topic as
// `schema/<name>` → {type, revisions newest first}, so every replica has them. A
// topic's schemaSettings names a schema, an encoding and optionally a revision range;
// a published message must conform to one revision in the range.

import { randomBytes } from 'node:crypto';
import type { MetaStore } from '../store.ts';
import { status } from '@grpc/grpc-js';
import { ApiError, alreadyExists, invalid, notFound } from '../errors.ts';
import { parseProject, parseSchema } from '../names.ts';
import { compileSchema, type Encoding } from './codec.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

interface Revision {
  id: string;
  definition: string;
  created: number;
}

interface SchemaRecord {
  name: string;
  type: 'AVRO' | 'PROTOCOL_BUFFER';
  revisions: Revision[];
}

export interface SchemaSettings {
  schema: string;
  encoding: Encoding;
  firstRevisionId: string;
  lastRevisionId: string;
}

/** What a topic whose schema was deleted shows (as Google's service does). */
export const DELETED_SCHEMA = '_deleted-schema_';

const MAX_REVISIONS = 20;

function timestamp(ms: number): Obj {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

function encodingOf(e: unknown): Encoding {
  if (e === 'JSON' || e === 1) return 'JSON';
  if (e === 'BINARY' || e === 2) return 'BINARY';
  throw invalid('Invalid encoding: must be JSON or BINARY.');
}

function typeOf(t: unknown): 'AVRO' | 'PROTOCOL_BUFFER' {
  if (t === 'AVRO' || t === 2) return 'AVRO';
  if (t === 'PROTOCOL_BUFFER' || t === 1) return 'PROTOCOL_BUFFER';
  throw invalid('Invalid schema type: must be AVRO or PROTOCOL_BUFFER.');
}

export class SchemaRegistry {
  #store: MetaStore;

  constructor(store: MetaStore) {
    this.#store = store;
  }

  #obj(s: SchemaRecord, r: Revision, view: unknown): Obj {
    const basic = view === 'BASIC' || view === 1;
    return {
      name: s.name,
      type: s.type,
      ...(basic ? {} : { definition: r.definition }),
      revisionId: r.id,
      revisionCreateTime: timestamp(r.created),
    };
  }

  /** `projects/P/schemas/S` or `…/S@revision`. */
  #lookup(nameAt: string): { s: SchemaRecord; r: Revision } {
    const [name, rev] = String(nameAt ?? '').split('@');
    parseSchema(name);
    const s = this.#store.get<SchemaRecord>(`schema/${name}`);
    if (!s) throw notFound(name);
    const r = rev ? s.revisions.find((x) => x.id === rev) : s.revisions[0];
    if (!r) throw notFound(`${name}@${rev}`);
    return { s, r };
  }

  #revision(definition: string): Revision {
    return { id: randomBytes(4).toString('hex'), definition, created: Date.now() };
  }

  async createSchema(req: Obj): Promise<Obj> {
    const project = parseProject(req.parent);
    const id = req.schemaId || String(req.schema?.name ?? '').split('/').pop();
    const name = `projects/${project}/schemas/${id}`;
    parseSchema(name);
    const type = typeOf(req.schema?.type);
    const definition = String(req.schema?.definition ?? '');
    compileSchema(type, definition);
    if (this.#store.get(`schema/${name}`)) throw alreadyExists(name);
    const s: SchemaRecord = { name, type, revisions: [this.#revision(definition)] };
    await this.#store.put(`schema/${name}`, s);
    return this.#obj(s, s.revisions[0], 'FULL');
  }

  async getSchema(req: Obj): Promise<Obj> {
    const { s, r } = this.#lookup(req.name);
    return this.#obj(s, r, req.view);
  }

  async listSchemas(req: Obj): Promise<Obj> {
    const project = parseProject(req.parent);
    const all = [...this.#store.entries<SchemaRecord>(`schema/projects/${project}/schemas/`)].map(([, s]) => s).sort((a, b) => (a.name < b.name ? -1 : 1));
    const from = req.pageToken ? all.findIndex((s) => s.name > req.pageToken) : 0;
    const size = Number(req.pageSize) > 0 ? Number(req.pageSize) : 1000;
    const items = all.slice(from < 0 ? all.length : from, (from < 0 ? all.length : from) + size);
    const more = (from < 0 ? all.length : from) + size < all.length;
    return { schemas: items.map((s) => this.#obj(s, s.revisions[0], req.view ?? 'BASIC')), nextPageToken: more ? items[items.length - 1].name : '' };
  }

  async listSchemaRevisions(req: Obj): Promise<Obj> {
    const { s } = this.#lookup(String(req.name ?? '').split('@')[0]);
    // Oldest first, as Google's emulator lists them.
    return { schemas: [...s.revisions].reverse().map((r) => this.#obj(s, r, req.view ?? 'FULL')), nextPageToken: '' };
  }

  async commitSchema(req: Obj): Promise<Obj> {
    const { s } = this.#lookup(req.name);
    if (req.schema?.type && typeOf(req.schema.type) !== s.type) throw invalid('A new revision must keep the schema type.');
    const definition = String(req.schema?.definition ?? '');
    compileSchema(s.type, definition);
    const next: SchemaRecord = { ...s, revisions: [this.#revision(definition), ...s.revisions].slice(0, MAX_REVISIONS) };
    await this.#store.put(`schema/${s.name}`, next);
    return this.#obj(next, next.revisions[0], 'FULL');
  }

  /** A new revision with the definition of an earlier one. */
  async rollbackSchema(req: Obj): Promise<Obj> {
    if (!req.revisionId) throw invalid('revision_id is required.');
    const { s, r } = this.#lookup(`${req.name}@${req.revisionId}`);
    const next: SchemaRecord = { ...s, revisions: [this.#revision(r.definition), ...s.revisions].slice(0, MAX_REVISIONS) };
    await this.#store.put(`schema/${s.name}`, next);
    return this.#obj(next, next.revisions[0], 'FULL');
  }

  async deleteSchemaRevision(req: Obj): Promise<Obj> {
    const [name, at] = String(req.name ?? '').split('@');
    const rev = req.revisionId || at;
    if (!rev) throw invalid('The revision to delete must be named (name@revision).');
    const { s, r } = this.#lookup(`${name}@${rev}`);
    if (s.revisions.length === 1) throw invalid('The last revision of a schema cannot be deleted; delete the schema.');
    const next: SchemaRecord = { ...s, revisions: s.revisions.filter((x) => x !== r) };
    await this.#store.put(`schema/${s.name}`, next);
    return this.#obj(next, r, 'FULL');
  }

  async deleteSchema(req: Obj): Promise<Obj> {
    const { s } = this.#lookup(String(req.name ?? '').split('@')[0]);
    await this.#store.put(`schema/${s.name}`, null);
    return {};
  }

  async validateSchema(req: Obj): Promise<Obj> {
    parseProject(req.parent);
    compileSchema(typeOf(req.schema?.type), String(req.schema?.definition ?? ''));
    return {};
  }

  async validateMessage(req: Obj): Promise<Obj> {
    parseProject(req.parent);
    const data = req.message ? Buffer.from(req.message) : Buffer.alloc(0);
    const encoding = encodingOf(req.encoding);
    if (req.name) {
      const { s, r } = this.#lookup(req.name);
      compileSchema(s.type, r.definition).check(data, encoding);
    } else if (req.schema) {
      compileSchema(typeOf(req.schema.type), String(req.schema.definition ?? '')).check(data, encoding);
    } else throw invalid('A schema name or an inline schema is required.');
    return {};
  }

  /** A topic's settings from a Create/UpdateTopic request (the schema must exist). */
  settings(req: Obj | null | undefined): SchemaSettings | null {
    if (!req || !req.schema) return null;
    const { s } = this.#lookup(String(req.schema).split('@')[0]);
    const out: SchemaSettings = { schema: s.name, encoding: encodingOf(req.encoding), firstRevisionId: req.firstRevisionId ?? '', lastRevisionId: req.lastRevisionId ?? '' };
    for (const id of [out.firstRevisionId, out.lastRevisionId]) if (id && !s.revisions.some((r) => r.id === id)) throw invalid(`Unknown schema revision: ${id}.`);
    return out;
  }

  /** What a topic shows: the schema name, or DELETED_SCHEMA once the schema is gone. */
  shown(settings: SchemaSettings): Obj {
    const exists = !!this.#store.get(`schema/${settings.schema}`);
    return { ...settings, schema: exists ? settings.schema : DELETED_SCHEMA };
  }

  /** Publish: the message conforms to some revision in the topic's range; returns that revision's ID. */
  check(settings: SchemaSettings, data: Buffer): string {
    const s = this.#store.get<SchemaRecord>(`schema/${settings.schema}`);
    if (!s) throw new ApiError(status.NOT_FOUND, 'Schema associated with topic deleted.');
    // Revisions are newest first; the range is [first, last] in commit order.
    let revs = s.revisions;
    const last = settings.lastRevisionId ? revs.findIndex((r) => r.id === settings.lastRevisionId) : 0;
    const first = settings.firstRevisionId ? revs.findIndex((r) => r.id === settings.firstRevisionId) : revs.length - 1;
    revs = revs.slice(Math.max(0, last), (first < 0 ? revs.length - 1 : first) + 1);
    let err: unknown = null;
    for (const r of revs) {
      try {
        compileSchema(s.type, r.definition).check(data, settings.encoding);
        return r.id;
      } catch (e) {
        err ??= e;
      }
    }
    throw err ?? invalid('Could not parse message: no schema revision in the topic\'s range.');
  }
}
