// Config entries as DescribeConfigs and CreateTopics report them: values,
// sources, synonyms and types in Kafka's numbering.

import { resolveTopicConfig, type ConfigSource } from '../../config/topic-config.ts';
import type { Broker } from '../broker.ts';

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

const sourceCode: Record<ConfigSource, number> = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
};
const typeCode = { boolean: 1, string: 2, int: 3, long: 5, list: 7 } as const;

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

export function describeTopicConfigs(broker: Broker, overrides: Record<string, string>, includeSynonyms: boolean, includeDocs: boolean): ConfigEntry[] {
  return resolveTopicConfig(overrides, broker.config.raw).map((e) => {
    const synonyms: ConfigEntry['synonyms'] = [];
    if (includeSynonyms) {
      if (e.source === 'DYNAMIC_TOPIC_CONFIG') synonyms.push({ name: e.name, value: e.value, source: sourceCode.DYNAMIC_TOPIC_CONFIG });
      if (e.brokerSynonym) synonyms.push({ name: e.brokerSynonym.name, value: e.brokerSynonym.value, source: sourceCode.STATIC_BROKER_CONFIG });
    }
    return {
      name: e.name, value: e.value, readOnly: false, isDefault: e.source === 'DEFAULT_CONFIG',
      configSource: sourceCode[e.source], isSensitive: false, synonyms,
      configType: typeCode[e.type], documentation: includeDocs ? e.doc : null,
    };
  });
}

/** The broker's static configuration (server.properties, environment, overrides); read-only. */
export function describeBrokerConfigs(broker: Broker, includeSynonyms: boolean): ConfigEntry[] {
  return [...broker.config.raw.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => {
    const isSensitive = /password|secret|sasl\.jaas/i.test(name);
    const shown = isSensitive ? null : value;
    return {
      name, value: shown, readOnly: true, isDefault: false, configSource: sourceCode.STATIC_BROKER_CONFIG, isSensitive,
      synonyms: includeSynonyms ? [{ name, value: shown, source: sourceCode.STATIC_BROKER_CONFIG }] : [],
      configType: typeCode.string, documentation: null,
    };
  });
}
