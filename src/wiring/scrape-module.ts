import { ContainerModule } from 'inversify';
import { checkReadiness } from '../adapters/http/readiness.js';
import type { Metrics } from '../adapters/observability/metrics.js';
import type { TypeScheduleView } from '../adapters/observability/scrape-gauges.js';
import type { DependencyProbe } from '../adapters/probes.js';
import type { SchedulingService } from '../application/scheduling-service.js';
import { QUEUE_INSPECTOR, type QueueInspector } from '../domain/ports/queue-inspector.js';
import { SYNC_TYPES } from '../domain/sync-types.js';
import { BOOT_ORDER, PROCESS_COMPONENT, type ProcessComponent } from '../lifecycle.js';
import * as T from '../tokens.js';

/** Each type's schedule as the scheduler knows it; the same on every replica but lastRunAt. */
export function scheduleViews(scheduler: SchedulingService): TypeScheduleView[] {
  const running = scheduler.isRunning();
  return SYNC_TYPES.map((type) => {
    const { intervalMinutes, enabled, lastRunAt } = scheduler.scheduleOf(type);
    return { type, intervalMinutes, scheduled: running && enabled, lastRunAt };
  });
}

/**
 * Feeds the gauges Prometheus reads on each scrape (src/adapters/observability/scrape-gauges.ts)
 * from the scheduler, the queue and the readiness probes. Bound before HTTP listens, unbound
 * when the process stops.
 */
export const scrapeModule = () =>
  new ContainerModule(({ bind }) => {
    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (
        metrics: Metrics,
        scheduler: SchedulingService,
        inspector: QueueInspector,
        probes: DependencyProbe[] | undefined,
      ): ProcessComponent => {
        let unbind: (() => void) | undefined;
        return {
          name: 'scrape gauges',
          order: BOOT_ORDER.connections,
          start: async (signal) => {
            if (signal.aborted) return;
            unbind = metrics.scrape.bind({
              schedule: () => scheduleViews(scheduler),
              queueCounts: () => inspector.counts(),
              readiness: async () => {
                const { checks } = await checkReadiness(probes ?? []);
                return Object.fromEntries(
                  Object.entries(checks).map(([name, state]) => [name, state === 'ok']),
                );
              },
            });
          },
          stop: async () => unbind?.(),
        };
      },
      [
        T.METRICS,
        T.SCHEDULER,
        QUEUE_INSPECTOR,
        { serviceIdentifier: T.DEPENDENCY_PROBE, isMultiple: true, optional: true },
      ],
    );
  });
