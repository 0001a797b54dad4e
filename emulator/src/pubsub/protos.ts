// googleapis' pubsub.proto as published inside @google-cloud/pubsub (its imports
// from google-gax's protos), loaded — never copied — once for gRPC (proto-loader)
// and once as a protobufjs Root for REST's proto3 JSON mapping.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

function protoDirs(): { pubsub: string; common: string[] } {
  const pubsubPkg = dirname(require.resolve('@google-cloud/pubsub/package.json'));
  const requireFromPubsub = createRequire(join(pubsubPkg, 'package.json'));
  const gaxMain = requireFromPubsub.resolve('google-gax');
  const gax = gaxMain.slice(0, gaxMain.lastIndexOf('/google-gax/') + '/google-gax'.length);
  return { pubsub: join(pubsubPkg, 'build', 'protos'), common: [join(gax, 'build', 'protos')] };
}

/** The object shape both transports hand to the service: camelCase, int64 as strings, enums as names. */
export const OBJECT_OPTIONS = { longs: String, enums: String, defaults: true, oneofs: true } as const;

let cached: { grpc: grpc.GrpcObject; root: protobuf.Root } | null = null;

export function loadProtos(): { grpc: grpc.GrpcObject; root: protobuf.Root } {
  if (cached) return cached;
  const dirs = protoDirs();
  const file = 'google/pubsub/v1/pubsub.proto';
  const def = protoLoader.loadSync(file, { ...OBJECT_OPTIONS, keepCase: false, includeDirs: [dirs.pubsub, ...dirs.common] });
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const d of [dirs.pubsub, ...dirs.common]) {
      const p = join(d, target);
      if (existsSync(p)) return p;
    }
    return target;
  };
  // google.rpc.Status/ErrorInfo: the per-ack-ID errors of exactly-once acks.
  root.loadSync([file, 'google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: false });
  root.resolveAll();
  cached = { grpc: grpc.loadPackageDefinition(def), root };
  return cached;
}
