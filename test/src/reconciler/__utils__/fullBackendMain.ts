/*
 * A BROM backend with the plugins packages/backend runs besides sign-in and the frontend:
 * the catalog with BROM's catalog module, the permission backend with BROM's policy,
 * Backstage's notifications and signals backends, BROM and its memberships module (with
 * its reconciler runner unless the config turns it off). For benchmarks that time the
 * catalog's view of a change and measure what an idle backend costs (bench:reconciler).
 * Configuration comes from `--config` files and APP_CONFIG_* variables. It logs each stall of
 * its event loop of a second or more (or of BROM_BENCH_STALL_LOG_MS).
 */
import { createBackend } from '@backstage/backend-defaults';
import { bromPermissionPolicyModule } from '@internal/plugin-brom-backend';
import { watchStalls } from '../../stalls';

// Each time the process held its event loop for a second or more (nothing else ran: no
// request, no timer such as the reconciler lease's renewal), one line in the log; a benchmark
// reads them (`[event-loop-stall]`). BROM_BENCH_STALL_LOG_MS lowers that bound (the
// benchmark's trials look for shorter stalls; the ticks are then 50 ms apart).
const logFromMs = Number(process.env.BROM_BENCH_STALL_LOG_MS ?? 1000);
watchStalls({
  tickMs: Math.min(250, Math.max(50, logFromMs / 2)),
  onStall: ({ ms }) => {
    if (ms >= logFromMs) {
      console.log(`[event-loop-stall] ${JSON.stringify({ at: new Date(Date.now() - ms).toISOString(), ms })}`);
    }
  },
});

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@internal/plugin-catalog-backend-module-brom'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(bromPermissionPolicyModule);
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('@internal/plugin-brom-backend'));
backend.add(import('@internal/plugin-brom-backend-module-memberships'));
backend.start();
