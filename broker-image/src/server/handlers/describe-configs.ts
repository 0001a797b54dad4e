// DescribeConfigs (32): topic configs (overrides, broker defaults, Kafka
// defaults) and the broker's static configs.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler, Body } from '../handler.ts';
import { describeBrokerConfigs, describeTopicConfigs, ResourceType, type ConfigEntry } from './config-entries.ts';

export const describeConfigs: ApiHandler = {
  apiKey: 32,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    const { broker } = ctx;
    const includeSynonyms = req.includeSynonyms === true;
    const includeDocs = req.includeDocumentation === true;
    const results = (req.resources as Body[]).map((r) => {
      const result = (errorCode: number, errorMessage: string | null, configs: ConfigEntry[]) => {
        const keys = r.configurationKeys as string[] | null;
        return {
          errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName,
          configs: keys && keys.length > 0 ? configs.filter((c) => keys.includes(c.name)) : configs,
        };
      };
      switch (r.resourceType) {
        case ResourceType.TOPIC: {
          const topic = broker.topics.get(r.resourceName);
          if (!topic) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${r.resourceName}' does not exist`, []);
          return result(ErrorCode.NONE, null, describeTopicConfigs(broker, topic.configs, includeSynonyms, includeDocs));
        }
        case ResourceType.BROKER:
          if (r.resourceName !== '' && r.resourceName !== String(broker.nodeId)) {
            return result(ErrorCode.INVALID_REQUEST, `broker ${r.resourceName} is not this broker (${broker.nodeId})`, []);
          }
          return result(ErrorCode.NONE, null, describeBrokerConfigs(broker, includeSynonyms));
        default:
          return result(ErrorCode.INVALID_REQUEST, `resource type ${r.resourceType} is not supported`, []);
      }
    });
    return { throttleTimeMs: 0, results };
  },
};
