// The operator's Kubernetes client: @kubernetes/client-node loads the
// configuration (kubeconfig file or in-cluster service account) and supplies the
// TLS options; requests are plain HTTPS so every verb, patch type and the watch
// stream are one small function each.
import https from 'node:https';
import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION } from '../api/v1alpha1.ts';

export type Obj = Record<string, any>;

export class KubeError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly body: any;
  constructor(status: number, message: string, body: any) {
    super(message);
    this.status = status;
    this.body = body;
    this.reason = body?.reason;
  }
}

export const FIELD_MANAGER = 'tributary-operator';

/** Plural of every kind the operator touches (all namespaced). */
const PLURALS: Record<string, string> = {
  ServiceAccount: 'serviceaccounts', ConfigMap: 'configmaps', Service: 'services', Pod: 'pods', Event: 'events',
  PersistentVolumeClaim: 'persistentvolumeclaims', Secret: 'secrets',
  StatefulSet: 'statefulsets', Deployment: 'deployments', PodDisruptionBudget: 'poddisruptionbudgets',
  Role: 'roles', RoleBinding: 'rolebindings', Lease: 'leases',
  KafkaCluster: 'kafkaclusters', KafkaTopic: 'kafkatopics',
};

export function collectionPath(apiVersion: string, kind: string, namespace?: string): string {
  const plural = PLURALS[kind];
  if (!plural) throw new Error(`unknown kind ${kind}`);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`;
}

export function objectPath(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${collectionPath(o.apiVersion, o.kind, o.metadata.namespace)}/${encodeURIComponent(o.metadata.name)}`;
}

export const kafkaClusters = (ns?: string) => collectionPath(API_VERSION, 'KafkaCluster', ns);
export const kafkaTopics = (ns?: string) => collectionPath(API_VERSION, 'KafkaTopic', ns);

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Obj;
}

export class Kube {
  readonly server: string;
  private readonly agent: https.Agent;
  private readonly tls: https.RequestOptions;
  private readonly kc: KubeConfig;

  private constructor(kc: KubeConfig, tls: https.RequestOptions) {
    this.kc = kc;
    this.server = kc.getCurrentCluster()!.server;
    this.tls = tls;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 32, ca: tls.ca, cert: tls.cert, key: tls.key });
  }

  /** From a kubeconfig file, else in-cluster (service account), else the default locations. */
  static async load(kubeconfig?: string): Promise<Kube> {
    const kc = new KubeConfig();
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) kc.loadFromCluster();
    else kc.loadFromDefault();
    const tls: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    return new Kube(kc, tls);
  }

  close(): void {
    this.agent.destroy();
  }

  private async headers(): Promise<Record<string, string>> {
    // Re-read each time: in-cluster tokens are rotated on disk.
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    return { Accept: 'application/json', ...(opts.headers as Record<string, string> | undefined) };
  }

  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
    const url = new URL(path, this.server);
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers = await this.headers();
    if (data) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(data.length);
    }
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers, agent: this.agent, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = text;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(json);
          else reject(new KubeError(status, `${method} ${url.pathname}: ${status} ${json?.message ?? text}`, json));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timeout`)));
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  get(path: string): Promise<any> {
    return this.request('GET', path);
  }

  async find(path: string): Promise<any> {
    try {
      return await this.request('GET', path);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  create(path: string, body: unknown): Promise<any> {
    return this.request('POST', path, body);
  }

  update(path: string, body: unknown): Promise<any> {
    return this.request('PUT', path, body);
  }

  mergePatch(path: string, body: unknown): Promise<any> {
    return this.request('PATCH', path, body, 'application/merge-patch+json');
  }

  /** Server-side apply with the operator's one field manager, forcing ownership of the fields it sets. */
  apply(o: Obj): Promise<any> {
    return this.request('PATCH', `${objectPath(o as any)}?fieldManager=${FIELD_MANAGER}&force=true`, o, 'application/apply-patch+yaml');
  }

  async delete(path: string, body?: unknown): Promise<any> {
    try {
      return await this.request('DELETE', path, body);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  /**
   * Streams watch events of a collection from `resourceVersion` until the server
   * ends the watch or `signal` aborts; resolves when the stream ends.
   */
  async watch(path: string, params: Record<string, string>, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries({ ...params, watch: 'true', allowWatchBookmarks: 'true' })) url.searchParams.set(k, v);
    const headers = await this.headers();
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      const req = https.request(url, { method: 'GET', headers, agent: this.agent }, (res: http.IncomingMessage) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new KubeError(res.statusCode ?? 0, `watch ${url.pathname}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`, undefined)));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent);
            } catch (e) {
              req.destroy();
              reject(e);
              return;
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
        res.on('aborted', () => resolve());
      });
      const onAbort = () => req.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      req.on('close', () => signal.removeEventListener('abort', onAbort));
      req.end();
    });
  }
}

/** Kubernetes MicroTime (RFC 3339 with microseconds) for Leases and Events. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The JSON merge patch turning `from` into `to`: keys gone from `to` become null
 * (a plain merge patch of `to` alone would keep them), nested objects recurse,
 * lists and scalars are replaced.
 */
export function mergeDiff(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return to;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(from)) if (!(k in to) || to[k] === undefined) out[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(from[k]) ? mergeDiff(from[k], v) : v;
  }
  return out;
}
