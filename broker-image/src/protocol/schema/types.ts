// The declarative message schema. One MessageSpec per request or response of an
// API key, covering every version: fields carry the version ranges they exist in,
// and the codec derives each version's encoding (classic or flexible/compact)
// from these ranges. Field names are the camelCase property names of decoded
// objects (Kafka's JSON message definitions, with the first letter lowered).

/**
 * A version range: '0+' (0 and up), '3-7' (inclusive), '5' (exactly 5),
 * 'none' (never). The same notation as Kafka's message definitions.
 */
export type Versions = string;

export type PrimitiveType =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'bytes' | 'records' | 'uuid';

/**
 * `type` is a primitive, `[]primitive` for an array of primitives, `struct`
 * for a nested struct, or `[]struct` for an array of structs (both with `fields`).
 *
 * Decoded representation: int64 → bigint; uuid → 16-byte Buffer; bytes and
 * records → Buffer (or null); strings → string (or null); arrays → JS arrays
 * (or null); uint32/int32/int16/int8/uint16 → number; bool → boolean.
 */
export interface FieldSpec {
  name: string;
  type: PrimitiveType | `[]${PrimitiveType}` | 'struct' | '[]struct';
  versions: Versions;
  /** Versions in which the value may be null (strings, bytes, records, arrays, structs). */
  nullableVersions?: Versions;
  /** Versions in which the field is a tagged field (flexible versions only), with its tag. */
  taggedVersions?: Versions;
  tag?: number;
  /** Value used when encoding an absent property and when a version lacks the field. */
  default?: number | bigint | string | boolean | null;
  /** Whether the field identifies an entry of its array (documentation only). */
  mapKey?: boolean;
  fields?: FieldSpec[];
}

export interface MessageSpec {
  name: string;
  validVersions: Versions;
  flexibleVersions: Versions;
  fields: FieldSpec[];
}

export interface ApiSpec {
  apiKey: number;
  name: string;
  request: MessageSpec;
  response: MessageSpec;
}

/** Builders that keep message files short. */
export function field(
  name: string,
  type: FieldSpec['type'],
  versions: Versions,
  extra: Omit<FieldSpec, 'name' | 'type' | 'versions'> = {},
): FieldSpec {
  return { name, type, versions, ...extra };
}

export function structArray(
  name: string,
  versions: Versions,
  fields: FieldSpec[],
  extra: Omit<FieldSpec, 'name' | 'type' | 'versions' | 'fields'> = {},
): FieldSpec {
  return { name, type: '[]struct', versions, fields, ...extra };
}

export function struct(
  name: string,
  versions: Versions,
  fields: FieldSpec[],
  extra: Omit<FieldSpec, 'name' | 'type' | 'versions' | 'fields'> = {},
): FieldSpec {
  return { name, type: 'struct', versions, fields, ...extra };
}
