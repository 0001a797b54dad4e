// API key → handler, and the version ranges the broker advertises: the
// intersection of what the schema can encode and what the handler honours.

import { apis } from '../protocol/messages/index.ts';
import { versionBounds } from '../protocol/schema/versions.ts';
import type { ApiHandler } from './handler.ts';

export interface AdvertisedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export class Router {
  private readonly handlers = new Map<number, { handler: ApiHandler; min: number; max: number; name: string }>();

  constructor(handlers: ApiHandler[]) {
    for (const handler of handlers) {
      const spec = apis.get(handler.apiKey);
      if (!spec) throw new Error(`no schema for API key ${handler.apiKey}`);
      const [schemaMin, schemaMax] = versionBounds(spec.request.validVersions);
      const min = Math.max(schemaMin, handler.minVersion);
      const max = Math.min(schemaMax, handler.maxVersion);
      if (min > max) throw new Error(`${spec.name}: handler versions ${handler.minVersion}-${handler.maxVersion} outside the schema's ${spec.request.validVersions}`);
      this.handlers.set(handler.apiKey, { handler, min, max, name: spec.name });
    }
  }

  handler(apiKey: number, apiVersion: number): ApiHandler | null {
    const h = this.handlers.get(apiKey);
    return h && apiVersion >= h.min && apiVersion <= h.max ? h.handler : null;
  }

  name(apiKey: number): string {
    return this.handlers.get(apiKey)?.name ?? apis.get(apiKey)?.name ?? `api-${apiKey}`;
  }

  advertised(): AdvertisedApi[] {
    return [...this.handlers.entries()]
      .sort(([a], [b]) => a - b)
      .map(([apiKey, h]) => ({ apiKey, minVersion: h.min, maxVersion: h.max }));
  }
}
