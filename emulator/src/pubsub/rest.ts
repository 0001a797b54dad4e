// REST v1 (express): the same service in proto3 JSON (base64 bytes, "10s" durations,
// RFC 3339 timestamps, comma-separated field masks), converted through the protos'
// own types. Errors as `{"error":{"code","message","status"}}` with Google's HTTP codes.

import express from 'express';
import type { Request, Response, NextFunction } from 'express';
import type protobuf from 'protobufjs';
import { fromProto3JSON, toProto3JSON } from 'proto3-json-serializer';
import type { PubsubService } from './service.ts';
import { ApiError, toApiError, httpStatus, statusName, invalid } from './errors.ts';
import { loadProtos, OBJECT_OPTIONS } from './protos.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

interface Route {
  method: string;
  re: RegExp;
  /** Request type, the service method, and how path + body make the request. */
  type: string;
  call: string;
  build: (m: RegExpExecArray, body: Obj, query: Obj) => Obj;
  response: string | null;
}

const R = (method: string, path: string, type: string, call: string, build: Route['build'], response: string | null): Route => ({
  method,
  re: new RegExp('^/v1/' + path + '$'),
  type,
  call,
  build,
  response,
});

const SEG = '([^/:]+)';
const list = (q: Obj) => ({ pageSize: q.pageSize ? Number(q.pageSize) : 0, pageToken: q.pageToken ?? '' });

const ROUTES: Route[] = [
  R('PUT', `projects/${SEG}/topics/${SEG}`, 'Topic', 'createTopic', (m, b) => ({ ...b, name: `projects/${m[1]}/topics/${m[2]}` }), 'Topic'),
  R('GET', `projects/${SEG}/topics/${SEG}`, 'GetTopicRequest', 'getTopic', (m) => ({ topic: `projects/${m[1]}/topics/${m[2]}` }), 'Topic'),
  R('PATCH', `projects/${SEG}/topics/${SEG}`, 'UpdateTopicRequest', 'updateTopic', (m, b) => ({ ...b, topic: { ...(b.topic ?? {}), name: `projects/${m[1]}/topics/${m[2]}` } }), 'Topic'),
  R('DELETE', `projects/${SEG}/topics/${SEG}`, 'DeleteTopicRequest', 'deleteTopic', (m) => ({ topic: `projects/${m[1]}/topics/${m[2]}` }), null),
  R('GET', `projects/${SEG}/topics`, 'ListTopicsRequest', 'listTopics', (m, _b, q) => ({ project: `projects/${m[1]}`, ...list(q) }), 'ListTopicsResponse'),
  R('GET', `projects/${SEG}/topics/${SEG}/subscriptions`, 'ListTopicSubscriptionsRequest', 'listTopicSubscriptions', (m, _b, q) => ({ topic: `projects/${m[1]}/topics/${m[2]}`, ...list(q) }), 'ListTopicSubscriptionsResponse'),
  R('GET', `projects/${SEG}/topics/${SEG}/snapshots`, 'ListTopicSnapshotsRequest', 'listTopicSnapshots', (m, _b, q) => ({ topic: `projects/${m[1]}/topics/${m[2]}`, ...list(q) }), 'ListTopicSnapshotsResponse'),
  R('POST', `projects/${SEG}/topics/${SEG}:publish`, 'PublishRequest', 'publish', (m, b) => {
    if (Array.isArray(b.messages)) {
      b.messages.forEach((msg: Obj, i: number) => {
        const d = msg?.data;
        if (d !== undefined && (typeof d !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(d))) {
          throw invalid(`Invalid value at 'messages[${i}].data' (TYPE_BYTES), Base64 decoding failed for "${String(d).slice(0, 40)}"`);
        }
      });
    }
    return { ...b, topic: `projects/${m[1]}/topics/${m[2]}` };
  }, 'PublishResponse'),
  R('PUT', `projects/${SEG}/subscriptions/${SEG}`, 'Subscription', 'createSubscription', (m, b) => ({ ...b, name: `projects/${m[1]}/subscriptions/${m[2]}` }), 'Subscription'),
  R('GET', `projects/${SEG}/subscriptions/${SEG}`, 'GetSubscriptionRequest', 'getSubscription', (m) => ({ subscription: `projects/${m[1]}/subscriptions/${m[2]}` }), 'Subscription'),
  R('PATCH', `projects/${SEG}/subscriptions/${SEG}`, 'UpdateSubscriptionRequest', 'updateSubscription', (m, b) => ({ ...b, subscription: { ...(b.subscription ?? {}), name: `projects/${m[1]}/subscriptions/${m[2]}` } }), 'Subscription'),
  R('DELETE', `projects/${SEG}/subscriptions/${SEG}`, 'DeleteSubscriptionRequest', 'deleteSubscription', (m) => ({ subscription: `projects/${m[1]}/subscriptions/${m[2]}` }), null),
  R('GET', `projects/${SEG}/subscriptions`, 'ListSubscriptionsRequest', 'listSubscriptions', (m, _b, q) => ({ project: `projects/${m[1]}`, ...list(q) }), 'ListSubscriptionsResponse'),
  R('POST', `projects/${SEG}/subscriptions/${SEG}:pull`, 'PullRequest', 'pull', (m, b) => ({ ...b, subscription: `projects/${m[1]}/subscriptions/${m[2]}` }), 'PullResponse'),
  R('POST', `projects/${SEG}/subscriptions/${SEG}:acknowledge`, 'AcknowledgeRequest', 'acknowledge', (m, b) => ({ ...b, subscription: `projects/${m[1]}/subscriptions/${m[2]}` }), null),
  R('POST', `projects/${SEG}/subscriptions/${SEG}:modifyAckDeadline`, 'ModifyAckDeadlineRequest', 'modifyAckDeadline', (m, b) => ({ ...b, subscription: `projects/${m[1]}/subscriptions/${m[2]}` }), null),
  R('POST', `projects/${SEG}/subscriptions/${SEG}:modifyPushConfig`, 'ModifyPushConfigRequest', 'modifyPushConfig', (m, b) => ({ ...b, subscription: `projects/${m[1]}/subscriptions/${m[2]}` }), null),
  R('POST', `projects/${SEG}/subscriptions/${SEG}:seek`, 'SeekRequest', 'seek', (m, b) => ({ ...b, subscription: `projects/${m[1]}/subscriptions/${m[2]}` }), 'SeekResponse'),
  R('POST', `projects/${SEG}/subscriptions/${SEG}:detach`, 'DetachSubscriptionRequest', 'detachSubscription', (m) => ({ subscription: `projects/${m[1]}/subscriptions/${m[2]}` }), 'DetachSubscriptionResponse'),
  R('PUT', `projects/${SEG}/snapshots/${SEG}`, 'CreateSnapshotRequest', 'createSnapshot', (m, b) => ({ ...b, name: `projects/${m[1]}/snapshots/${m[2]}` }), 'Snapshot'),
  R('GET', `projects/${SEG}/snapshots/${SEG}`, 'GetSnapshotRequest', 'getSnapshot', (m) => ({ snapshot: `projects/${m[1]}/snapshots/${m[2]}` }), 'Snapshot'),
  R('PATCH', `projects/${SEG}/snapshots/${SEG}`, 'UpdateSnapshotRequest', 'updateSnapshot', (m, b) => ({ ...b, snapshot: { ...(b.snapshot ?? {}), name: `projects/${m[1]}/snapshots/${m[2]}` } }), 'Snapshot'),
  R('DELETE', `projects/${SEG}/snapshots/${SEG}`, 'DeleteSnapshotRequest', 'deleteSnapshot', (m) => ({ snapshot: `projects/${m[1]}/snapshots/${m[2]}` }), null),
  R('GET', `projects/${SEG}/snapshots`, 'ListSnapshotsRequest', 'listSnapshots', (m, _b, q) => ({ project: `projects/${m[1]}`, ...list(q) }), 'ListSnapshotsResponse'),
  // SchemaService ("schemas.x": a method of svc.schemas)
  R('POST', `projects/${SEG}/schemas`, 'CreateSchemaRequest', 'schemas.createSchema', (m, b, q) => ({ parent: `projects/${m[1]}`, schema: b, schemaId: q.schemaId ?? '' }), 'Schema'),
  R('GET', `projects/${SEG}/schemas`, 'ListSchemasRequest', 'schemas.listSchemas', (m, _b, q) => ({ parent: `projects/${m[1]}`, ...(q.view ? { view: q.view } : {}), ...list(q) }), 'ListSchemasResponse'),
  R('POST', `projects/${SEG}/schemas:validate`, 'ValidateSchemaRequest', 'schemas.validateSchema', (m, b) => ({ ...b, parent: `projects/${m[1]}` }), 'ValidateSchemaResponse'),
  R('POST', `projects/${SEG}/schemas:validateMessage`, 'ValidateMessageRequest', 'schemas.validateMessage', (m, b) => ({ ...b, parent: `projects/${m[1]}` }), 'ValidateMessageResponse'),
  R('GET', `projects/${SEG}/schemas/${SEG}`, 'GetSchemaRequest', 'schemas.getSchema', (m, _b, q) => ({ name: `projects/${m[1]}/schemas/${m[2]}`, ...(q.view ? { view: q.view } : {}) }), 'Schema'),
  R('DELETE', `projects/${SEG}/schemas/${SEG}`, 'DeleteSchemaRequest', 'schemas.deleteSchema', (m) => ({ name: `projects/${m[1]}/schemas/${m[2]}` }), null),
  R('POST', `projects/${SEG}/schemas/${SEG}:commit`, 'CommitSchemaRequest', 'schemas.commitSchema', (m, b) => ({ ...b, name: `projects/${m[1]}/schemas/${m[2]}` }), 'Schema'),
  R('POST', `projects/${SEG}/schemas/${SEG}:rollback`, 'RollbackSchemaRequest', 'schemas.rollbackSchema', (m, b) => ({ ...b, name: `projects/${m[1]}/schemas/${m[2]}` }), 'Schema'),
  R('GET', `projects/${SEG}/schemas/${SEG}:listRevisions`, 'ListSchemaRevisionsRequest', 'schemas.listSchemaRevisions', (m, _b, q) => ({ name: `projects/${m[1]}/schemas/${m[2]}`, ...list(q) }), 'ListSchemaRevisionsResponse'),
  R('DELETE', `projects/${SEG}/schemas/${SEG}:deleteRevision`, 'DeleteSchemaRevisionRequest', 'schemas.deleteSchemaRevision', (m, _b, q) => ({ name: `projects/${m[1]}/schemas/${m[2]}`, revisionId: q.revisionId ?? '' }), 'Schema'),
];

function sendError(res: Response, err: unknown): void {
  const e = toApiError(err);
  res.status(httpStatus(e.code)).json({ error: { code: httpStatus(e.code), message: e.message, status: statusName(e.code) } });
}

export function createRestApp(svc: PubsubService): express.Express {
  const root = loadProtos().root;
  const type = (name: string): protobuf.Type => root.lookupType(`google.pubsub.v1.${name}`);
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '20mb', type: () => true }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    // Path params are URL-encoded (e.g. a topic ID with %2B); match on the decoded path.
    let path: string;
    try {
      path = decodeURIComponent(req.path);
    } catch {
      path = req.path;
    }
    let matched: Route | null = null;
    let m: RegExpExecArray | null = null;
    let pathMatched = false;
    for (const r of ROUTES) {
      const mm = r.re.exec(path);
      if (!mm) continue;
      pathMatched = true;
      if (r.method !== req.method) continue;
      matched = r;
      m = mm;
      break;
    }
    if (!matched || !m) {
      if (pathMatched) {
        res.status(405).json({ error: { code: 405, message: `Method ${req.method} not allowed on ${path}`, status: 'INVALID_ARGUMENT' } });
        return;
      }
      next();
      return;
    }
    const route = matched;
    let request: Obj;
    try {
      const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Obj) : {};
      if (req.body !== undefined && (typeof req.body !== 'object' || Array.isArray(req.body))) throw invalid('The request body must be a JSON object.');
      const json = route.build(m, body, req.query as Obj);
      const t = type(route.type);
      let msg: protobuf.Message | null;
      try {
        msg = fromProto3JSON(t, json as any);
      } catch (err) {
        throw invalid(`Invalid JSON payload received. ${(err as Error).message}`);
      }
      if (!msg) throw invalid('Invalid JSON payload received.');
      request = t.toObject(msg, OBJECT_OPTIONS);
    } catch (err) {
      sendError(res, err);
      return;
    }
    let closed = false;
    const onClose: (() => void)[] = [];
    res.on('close', () => {
      closed = true;
      for (const f of onClose) f();
    });
    const cancel = { cancelled: () => closed, onCancel: (f: () => void) => onClose.push(f) };
    const dot = route.call.indexOf('.');
    const target = dot < 0 ? svc : (svc as any)[route.call.slice(0, dot)];
    (target[route.call.slice(dot + 1)] as (r: Obj, c: unknown) => Promise<Obj>).call(target, request, cancel).then(
      (result) => {
        if (!route.response) {
          res.json({});
          return;
        }
        const t = type(route.response);
        res.json(toProto3JSON(t.fromObject(result)));
      },
      (err) => {
        if (!(err instanceof ApiError)) svc.log.warn({ err: (err as Error).message, route: route.call }, 'REST request failed');
        sendError(res, err);
      },
    );
  });
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 404, message: `No such REST method: ${req.method} ${req.path}`, status: 'NOT_FOUND' } });
  });
  // Body that is not JSON: express.json throws before our handler.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') {
      sendError(res, invalid('Request payload size exceeds the limit: 10485760 bytes.'));
      return;
    }
    sendError(res, invalid(`Invalid JSON payload received. ${err.message}`));
  });
  return app;
}
