// A small JSON REST client for the apiserver: @kubernetes/client-node loads the
// kubeconfig and supplies the TLS options (client cert, CA, token) and its Watch;
// requests are plain https so every verb and patch type is one call.
import https from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';

export type Obj = Record<string, any>;

export class KubeError extends Error {
  readonly status: number;
  readonly body: any;
  constructor(status: number, message: string, body: any) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export class Kube {
  readonly kc: KubeConfig;
  readonly server: string;
  private readonly agent: https.Agent;
  private readonly opts: https.RequestOptions;

  private constructor(kc: KubeConfig, opts: https.RequestOptions) {
    this.kc = kc;
    this.server = kc.getCurrentCluster()!.server;
    this.opts = opts;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(opts as https.AgentOptions) });
  }

  static async fromFile(kubeconfig: string): Promise<Kube> {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    return new Kube(kc, opts);
  }

  close(): void {
    this.agent.destroy();
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
    const url = new URL(path, this.server);
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json', ...(this.opts.headers as Record<string, string> | undefined) };
    if (data) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(data.length);
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        { method, headers, agent: this.agent, ca: this.opts.ca, cert: this.opts.cert, key: this.opts.key, timeout: 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: any = undefined;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = text;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(json);
            else reject(new KubeError(status, `${method} ${path}: ${status} ${json?.message ?? text}`, json));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  get(path: string): Promise<any> {
    return this.request('GET', path);
  }
  /** GET, or undefined on 404. */
  async find(path: string): Promise<any> {
    try {
      return await this.request('GET', path);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }
  post(path: string, body: unknown): Promise<any> {
    return this.request('POST', path, body);
  }
  put(path: string, body: unknown): Promise<any> {
    return this.request('PUT', path, body);
  }
  mergePatch(path: string, body: unknown): Promise<any> {
    return this.request('PATCH', path, body, 'application/merge-patch+json');
  }
  /** Server-side apply (the objects a test applies from manifests). */
  apply(path: string, body: unknown, fieldManager = 'tributary-test'): Promise<any> {
    const sep = path.includes('?') ? '&' : '?';
    return this.request('PATCH', `${path}${sep}fieldManager=${fieldManager}&force=true`, body, 'application/apply-patch+yaml');
  }
  async delete(path: string, body?: unknown): Promise<any> {
    try {
      return await this.request('DELETE', path, body);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Watches `path` (a collection), calling `onEvent`; resolves to a stop function. */
  async watch(path: string, query: Record<string, string>, onEvent: (type: string, obj: Obj) => void, onDone: (err: unknown) => void): Promise<() => void> {
    const w = new Watch(this.kc);
    const ac = await w.watch(path, { allowWatchBookmarks: false, ...query }, onEvent, onDone);
    return () => ac.abort();
  }
}

/** The REST path of a namespaced or cluster object from its apiVersion/kind. */
export function objectPath(apiVersion: string, plural: string, namespace: string | undefined, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace ? `/namespaces/${namespace}` : '';
  return `${base}${ns}/${plural}${name ? `/${name}` : ''}`;
}
