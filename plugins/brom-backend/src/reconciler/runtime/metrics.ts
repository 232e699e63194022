import { metrics } from '@opentelemetry/api';

export interface ReconcilerMetrics {
  /**
   * A pass ended. A full pass's duration leaves out a whole-vhost observation taken before
   * it, in the background.
   */
  pass(outcome: 'ok' | 'failed', durationMs: number, mode: 'full' | 'incremental'): void;
  write(kind: string, operation: string, outcome: 'ok' | 'failed', reason?: string): void;
  pending(count: number): void;
}

/**
 * Reconciler metrics through OpenTelemetry, which Backstage exports when the host
 * configures an exporter (Prometheus, OTLP); without one they cost nothing.
 */
export function createReconcilerMetrics(): ReconcilerMetrics {
  const meter = metrics.getMeter('brom-reconciler');
  const passes = meter.createCounter('brom_reconciler_passes_total', {
    description: 'Reconciliation passes by outcome and mode (full or incremental)',
  });
  const duration = meter.createHistogram('brom_reconciler_pass_duration_ms', {
    description: 'Duration of reconciliation passes',
    unit: 'ms',
  });
  const writes = meter.createCounter('brom_reconciler_writes_total', {
    description: 'Broker writes by object kind, operation, outcome and error reason',
  });
  let pendingCount = 0;
  let lastSuccess: number | undefined;
  meter
    .createObservableGauge('brom_reconciler_last_success_age_seconds', {
      description:
        'Seconds since this replica last completed a pass without error (absent before the first)',
      unit: 's',
    })
    .addCallback(result => {
      if (lastSuccess !== undefined) result.observe((Date.now() - lastSuccess) / 1000);
    });
  meter
    .createObservableGauge('brom_reconciler_pending_objects', {
      description: 'Objects waiting for a retry after a failed write',
    })
    .addCallback(result => result.observe(pendingCount));
  return {
    pass(outcome, durationMs, mode) {
      if (outcome === 'ok') lastSuccess = Date.now();
      passes.add(1, { outcome, mode });
      duration.record(durationMs, { outcome, mode });
    },
    write(kind, operation, outcome, reason) {
      writes.add(1, reason ? { kind, operation, outcome, reason } : { kind, operation, outcome });
    },
    pending(count) {
      pendingCount = count;
    },
  };
}
