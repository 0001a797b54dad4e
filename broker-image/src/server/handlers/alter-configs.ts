// AlterConfigs (33), the legacy form: a topic's overrides are replaced by
// exactly the set given. Broker configs are static (server.properties).

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body, RequestContext } from '../handler.ts';
import { ResourceType } from './config-entries.ts';

export const alterConfigs: ApiHandler = {
  apiKey: 33,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const responses: Body[] = [];
    for (const r of req.resources as Body[]) {
      const configs: Record<string, string> = {};
      for (const c of r.configs as Body[]) {
        if (c.value !== null) configs[c.name] = c.value;
      }
      responses.push(await alterResource(ctx, r, req.validateOnly === true, () => configs));
    }
    return { throttleTimeMs: 0, responses };
  },
};

/** Applies `change` (current overrides → new overrides) to one resource; shared with IncrementalAlterConfigs. */
export async function alterResource(
  ctx: RequestContext, r: Body, validateOnly: boolean, change: (current: Record<string, string>) => Record<string, string>,
): Promise<Body> {
  const response = (errorCode: number, errorMessage: string | null) => ({
    errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName,
  });
  try {
    if (r.resourceType === ResourceType.BROKER) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'dynamic broker configs are not supported: set them in server.properties');
    }
    if (r.resourceType !== ResourceType.TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, `resource type ${r.resourceType} is not supported`);
    const topic = ctx.broker.topics.get(r.resourceName);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${r.resourceName}' does not exist`);
    await ctx.broker.setTopicConfig(topic.name, change({ ...topic.configs }), { validateOnly });
    return response(ErrorCode.NONE, null);
  } catch (err) {
    return response(errorCodeOf(err), (err as Error).message);
  }
}
