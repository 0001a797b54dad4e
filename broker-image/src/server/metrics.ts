// The broker's Prometheus metrics (prom-client), served on the HTTP listener.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'tributary_connections', help: 'Open client connections', registers: [this.registry] });
  readonly bytesIn = new Counter({ name: 'tributary_request_bytes_total', help: 'Request bytes received', registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'tributary_response_bytes_total', help: 'Response bytes sent', registers: [this.registry] });
  readonly requestErrors = new Counter({ name: 'tributary_request_errors_total', help: 'Requests that closed the connection', labelNames: ['api'], registers: [this.registry] });
  readonly requestSeconds = new Histogram({
    name: 'tributary_request_duration_seconds', help: 'Time to handle a request', labelNames: ['api'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers: [this.registry],
  });
  readonly producedRecords = new Counter({ name: 'tributary_produced_records_total', help: 'Records appended by Produce', labelNames: ['topic'], registers: [this.registry] });
  readonly producedBytes = new Counter({ name: 'tributary_produced_bytes_total', help: 'Batch bytes appended by Produce', labelNames: ['topic'], registers: [this.registry] });
  readonly fetchedBytes = new Counter({ name: 'tributary_fetched_bytes_total', help: 'Batch bytes returned by Fetch', labelNames: ['topic'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tributary_' });
  }
}
