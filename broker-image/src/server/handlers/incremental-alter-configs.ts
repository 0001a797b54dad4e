// IncrementalAlterConfigs (44): SET, DELETE, APPEND and SUBTRACT on a topic's
// overrides, leaving the others alone.

import { topicConfigKeys } from '../../config/topic-config.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body } from '../handler.ts';
import { alterResource } from './alter-configs.ts';

const SET = 0, DELETE = 1, APPEND = 2, SUBTRACT = 3;

export const incrementalAlterConfigs: ApiHandler = {
  apiKey: 44,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const responses: Body[] = [];
    for (const r of req.resources as Body[]) {
      responses.push(await alterResource(ctx, r, req.validateOnly === true, (current) => {
        const next = { ...current };
        for (const c of r.configs as Body[]) applyOperation(next, c.name, c.configOperation, c.value);
        return next;
      }));
    }
    return { throttleTimeMs: 0, responses };
  },
};

function applyOperation(configs: Record<string, string>, name: string, op: number, value: string | null): void {
  const isList = topicConfigKeys[name]?.type === 'list';
  const listOf = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);
  switch (op) {
    case SET:
      if (value === null) throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name}: SET needs a value`);
      configs[name] = value;
      return;
    case DELETE:
      delete configs[name];
      return;
    case APPEND:
    case SUBTRACT: {
      if (!isList) throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name} is not a list: APPEND and SUBTRACT apply to lists only`);
      const items = listOf(configs[name]);
      const given = listOf(value ?? '');
      const result = op === APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
      configs[name] = result.join(',');
      return;
    }
    default:
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown config operation ${op}`);
  }
}
