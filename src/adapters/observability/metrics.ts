import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createScrapeGauges } from './scrape-gauges.js';

/** Every metric the service exposes on GET /metrics, registered on one Registry. */
export function createMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'sync_scheduler_' });
  const registers = [registry];
  return {
    registry,
    ticks: new Counter({
      name: 'sync_scheduler_ticks_total',
      help: 'Scheduler ticks by type and outcome (completed, failed, skipped).',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    jobsEnqueued: new Counter({
      name: 'sync_scheduler_jobs_enqueued_total',
      help: 'Jobs added to the queue by type.',
      labelNames: ['type'] as const,
      registers,
    }),
    jobsDeduplicated: new Counter({
      name: 'sync_scheduler_jobs_deduplicated_total',
      help: 'Jobs not added because the same (type, agent) was already pending.',
      labelNames: ['type'] as const,
      registers,
    }),
    outcomes: new Counter({
      name: 'sync_scheduler_outcomes_total',
      help: 'Every decision and result per type and class: completed, failed (after its attempts), deduplicated (still pending), skipped_breaker (pair or ERP breaker open), skipped_window (outside the working hours), deferred_budget (held back by the release budget, counted once per pair).',
      labelNames: ['type', 'class'] as const,
      registers,
    }),
    breakerState: new Gauge({
      name: 'sync_scheduler_breaker_state',
      help: 'Breaker state by scope: 0 closed, 1 half open, 2 open (scope="erp": the fleet-wide ERP breaker).',
      labelNames: ['scope'] as const,
      registers,
    }),
    openPairBreakers: new Gauge({
      name: 'sync_scheduler_open_pair_breakers',
      help: 'Pairs (type, agent) whose breaker is open or half open, by type.',
      labelNames: ['type'] as const,
      registers,
    }),
    fencedChunks: new Counter({
      name: 'sync_scheduler_fenced_chunks_total',
      help: 'Enqueues refused because this replica no longer held the leader lease, by type and where (fire: the timer fired after the lease passed; chunk: the queue refused a chunk).',
      labelNames: ['type', 'at'] as const,
      registers,
    }),
    tickFailures: new Counter({
      name: 'sync_scheduler_tick_failures_total',
      help: 'Failed ticks by type and stage (agentLookup, breakers, enqueue).',
      labelNames: ['type', 'stage'] as const,
      registers,
    }),
    tickDuration: new Histogram({
      name: 'sync_scheduler_tick_duration_seconds',
      help: 'Time from a tick firing to its batch being enqueued.',
      labelNames: ['type'] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    agentLookups: new Counter({
      name: 'sync_scheduler_agent_lookups_total',
      help: 'Agent list lookups by cache outcome (hit, miss, shared, stale).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    budgetCycleRatio: new Gauge({
      name: 'sync_scheduler_budget_cycle_ratio',
      help: 'Time the release budget needs to release the whole fleet of a type, over its interval (above 1: the budget cannot keep up). Set by the leader after each tick under a budget.',
      labelNames: ['type'] as const,
      registers,
    }),
    leader: new Gauge({
      name: 'sync_scheduler_leader',
      help: '1 while this replica holds scheduling leadership, else 0.',
      registers,
    }),
    /** Read on each scrape: intervals, last ticks, queue backlog, readiness. */
    scrape: createScrapeGauges(registers),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
