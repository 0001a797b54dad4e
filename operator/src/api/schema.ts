// A small typed builder for Kubernetes structural OpenAPI v3 schemas: each builder
// returns the JSON schema (what goes into the CRD) and carries the TypeScript type
// of the values it accepts, so the CRD YAML and the operator's types come from one
// definition. `applyDefaults` fills defaults exactly where the apiserver's
// structural defaulting would (object properties with `default`, recursively).

export type JSONSchema = Record<string, unknown>;

export interface Schema<T, R extends boolean = boolean> {
  readonly json: JSONSchema;
  /** Listed in the parent object's `required`, or defaulted (always present once stored). */
  readonly present: R;
  readonly required: boolean;
  /** Type carrier only; never set. */
  readonly __type?: T;
}

export type Infer<S> = S extends Schema<infer T, boolean> ? T : never;

type Opts = { description?: string; [k: string]: unknown };

function make<T, R extends boolean>(json: JSONSchema, present: R, required = false): Schema<T, R> {
  return { json, present, required };
}

export function str(opts: Opts & { enum?: never } = {}): Schema<string, false> {
  return make({ type: 'string', ...opts }, false);
}

export function enumOf<const V extends readonly string[]>(values: V, opts: Opts = {}): Schema<V[number], false> {
  return make({ type: 'string', enum: [...values], ...opts }, false);
}

export function int(opts: Opts = {}): Schema<number, false> {
  return make({ type: 'integer', format: 'int32', ...opts }, false);
}

export function bool(opts: Opts = {}): Schema<boolean, false> {
  return make({ type: 'boolean', ...opts }, false);
}

/** Kubernetes quantity or port-like value: integer or string. */
export function intOrString(opts: Opts = {}): Schema<number | string, false> {
  return make({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], ...opts }, false);
}

export function arr<S extends Schema<unknown>>(items: S, opts: Opts = {}): Schema<Infer<S>[], false> {
  return make({ type: 'array', items: items.json, ...opts }, false);
}

export function mapOf<S extends Schema<unknown>>(values: S, opts: Opts = {}): Schema<Record<string, Infer<S>>, false> {
  return make({ type: 'object', additionalProperties: values.json, ...opts }, false);
}

/** An object whose fields are not pruned or checked by the apiserver (checked by the operator). */
export function free<T = Record<string, unknown>>(opts: Opts = {}): Schema<T, false> {
  return make({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...opts }, false);
}

/** A list of free-form objects (e.g. tolerations). */
export function freeList(opts: Opts = {}): Schema<Record<string, unknown>[], false> {
  return make({ type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, ...opts }, false);
}

type Props = Record<string, Schema<unknown>>;
type PresentKeys<P extends Props> = { [K in keyof P]: P[K] extends Schema<unknown, true> ? K : never }[keyof P];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjOf<P extends Props> = Simplify<
  { [K in PresentKeys<P>]: Infer<P[K]> } & { [K in Exclude<keyof P, PresentKeys<P>>]?: Infer<P[K]> }
>;

export function obj<P extends Props>(props: P, opts: Opts = {}): Schema<ObjOf<P>, false> {
  const properties: Record<string, JSONSchema> = {};
  const required: string[] = [];
  for (const [k, s] of Object.entries(props)) {
    properties[k] = s.json;
    if (s.required) required.push(k);
  }
  return make({ type: 'object', properties, ...(required.length ? { required } : {}), ...opts }, false);
}

/** Must be given by the user (listed in the parent's `required`). */
export function req<T>(s: Schema<T>): Schema<T, true> {
  return make(s.json, true, true);
}

/** Defaulted by the apiserver when absent (so always present in stored objects). */
export function def<T>(s: Schema<T>, value: T): Schema<T, true> {
  return make({ ...s.json, default: value }, true);
}

/** Fills `default`s into `value` as structural defaulting does; returns a new value. */
export function applyDefaults<T>(schema: Schema<T> | JSONSchema, value: unknown): T {
  const json = 'json' in schema && 'present' in schema ? (schema as Schema<T>).json : (schema as JSONSchema);
  return fill(json, value) as T;
}

function fill(json: JSONSchema, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (json.type === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const props = json.properties as Record<string, JSONSchema> | undefined;
    if (props) {
      for (const [k, p] of Object.entries(props)) {
        if (out[k] === undefined && p.default !== undefined) out[k] = structuredClone(p.default);
        if (out[k] !== undefined) out[k] = fill(p, out[k]);
      }
    }
    const extra = json.additionalProperties as JSONSchema | undefined;
    if (extra && typeof extra === 'object') {
      for (const k of Object.keys(out)) if (!props?.[k]) out[k] = fill(extra, out[k]);
    }
    return out;
  }
  if (json.type === 'array' && Array.isArray(value) && json.items) {
    return value.map((v) => fill(json.items as JSONSchema, v));
  }
  return value;
}
