/*
 * OpenTelemetry for the backend, as Backstage's "Setup OpenTelemetry" tutorial does it: loaded
 * with `node --require` before anything else, so the HTTP instrumentation can wrap Node's http
 * module before Backstage creates its server.
 *
 * Metrics only: BROM's reconciler (brom_reconciler_*), notifications and every other
 * Backstage meter, plus the HTTP server's request metrics (http_server_duration), are served
 * in the Prometheus text format at /metrics on a port of their own, 0.0.0.0:9464 by default
 * (OTEL_EXPORTER_PROMETHEUS_HOST and OTEL_EXPORTER_PROMETHEUS_PORT change it; BROM_METRICS=off
 * turns it all off). Traces are off
 * unless OTEL_TRACES_EXPORTER names an exporter. `npm start` and the production commands
 * (deploy/, docs/operations.md) load it; the build copies it to dist/instrumentation.js.
 */
// Worker threads load this file too; one SDK per process.
const { isMainThread } = require('node:worker_threads');

if (isMainThread && process.env.BROM_METRICS !== 'off') {
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

  process.env.OTEL_TRACES_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'brom-backend',
    metricReaders: [
      new PrometheusExporter({
        host: process.env.OTEL_EXPORTER_PROMETHEUS_HOST || '0.0.0.0',
        port: Number(process.env.OTEL_EXPORTER_PROMETHEUS_PORT || 9464),
      }),
    ],
    instrumentations: [
      new HttpInstrumentation({
        // The exporter's own scrapes and the probes would swamp the request metrics.
        ignoreIncomingRequestHook: request =>
          request.url === '/metrics' ||
          (request.url ?? '').startsWith('/.backstage/health/'),
      }),
    ],
  });
  sdk.start();
  process.once('beforeExit', () => {
    sdk.shutdown().catch(() => {});
  });
}
