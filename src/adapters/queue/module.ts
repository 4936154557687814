import { ContainerModule } from 'inversify';
import type { Config } from '../../config.js';
import { JOB_QUEUE } from '../../domain/ports/job-queue.js';
import { LEADER_ELECTION } from '../../domain/ports/leader-election.js';
import { QUEUE_INSPECTOR } from '../../domain/ports/queue-inspector.js';
import { RELEASE_LEDGER } from '../../domain/ports/release-ledger.js';
import type { SyncHistory } from '../../domain/ports/sync-history.js';
import type { AgentStateStore } from '../../domain/ports/agent-state-store.js';
import type { Metrics } from '../observability/metrics.js';
import { countingOutcomes, logBreakerChanges } from '../observability/breaker-log.js';
import { BOOT_ORDER, PROCESS_COMPONENT, type ProcessComponent } from '../../lifecycle.js';
import * as T from '../../tokens.js';
import { errorMessage } from '../error-message.js';
import { componentLog } from '../observability/component-log.js';
import type { LeadershipFollower } from '../../lifecycle.js';
import type { Logger } from '../observability/logger.js';
import { redisProbe } from '../probes.js';
import { BullMqHistoryRecorder } from './bullmq-history-recorder.js';
import { BullMqJobQueue } from './bullmq-job-queue.js';
import { closeQueue, createBullMqQueue } from './create-queue.js';
import { schedulerKey } from './keys.js';
import { RedisLeaderElection } from './redis-leader-election.js';
import { RedisReleaseLedger } from './redis-release-ledger.js';
import { RedisRunLog } from './redis-run-log.js';
import { BULLMQ_QUEUE, LEASE_KEY } from './tokens.js';

/** The lease key, beside the queue's own keys (and in its cluster slot: keys.ts). */
export const leaseKey = (config: Config): string =>
  schedulerKey(config.queuePrefix, config.queueName, 'leader');

/**
 * Redis: the producer connection and BullMQ queue (built synchronously; the boot wait comes
 * first), the job queue and inspector, the leader lease, the history writer.
 */
export const queueModule = (config: Config, logger: Logger) =>
  new ContainerModule(({ bind }) => {
    const handle = createBullMqQueue({
      redisUrl: config.redisUrl,
      queueName: config.queueName,
      prefix: config.queuePrefix,
      onError: (error) => logger.warn({ err: error }, `redis: ${error.message}`),
    });
    bind(BULLMQ_QUEUE).toConstantValue(handle.queue);
    bind(T.REDIS_CONNECTION).toConstantValue(handle.connection);
    bind(T.DEPENDENCY_PROBE).toConstantValue(redisProbe(handle.connection));
    // Leadership lives next to the queue it guards, on a connection of its own: whoever cannot
    // reach Redis cannot enqueue anyway, and a PostgreSQL outage does not stop scheduling.
    bind(LEADER_ELECTION).toConstantValue(
      new RedisLeaderElection({
        redisUrl: config.redisUrl,
        key: leaseKey(config),
        pollMs: config.leaderPollMs,
        leaseMs: config.leaderLeaseMs,
        log: componentLog(logger, 'leader-election'),
      }),
    );
    bind(LEASE_KEY).toConstantValue(leaseKey(config));
    bind(T.REDIS_RUN_LOG).toConstantValue(new RedisRunLog(handle.connection, leaseKey(config)));
    bind(RELEASE_LEDGER).toConstantValue(
      new RedisReleaseLedger(handle.connection, leaseKey(config), config.minuteMs / 60),
    );
    bind(BullMqJobQueue).toSelf();
    bind(JOB_QUEUE).toService(BullMqJobQueue);
    bind(QUEUE_INSPECTOR).toService(BullMqJobQueue);
    bind(T.HISTORY_RECORDER).toResolvedValue(
      (history: SyncHistory, agentState: AgentStateStore, metrics: Metrics) =>
        new BullMqHistoryRecorder(handle.queue, history, {
          redisUrl: config.redisUrl,
          queueName: config.queueName,
          prefix: config.queuePrefix,
          onError: (error) => logger.warn({ err: error }, `sync history: ${errorMessage(error)}`),
          // The single writer also keeps the per-agent state and the breakers up to date.
          agentState: countingOutcomes(agentState, metrics),
          onBreakerChange: (applied) => logBreakerChanges(applied, logger, metrics),
        }),
      [T.WRITER_SYNC_HISTORY, T.WRITER_AGENT_STATE, T.METRICS],
    );
    // A tick still sending when shutdown stops waiting: cut the producer, or it would keep
    // building and sending chunks and eat the CPU the rest of the shutdown needs. Each job is
    // its own atomic script in Redis, so nothing is left half-written.
    bind(T.ON_DRAIN_TIMEOUT).toConstantValue(() => handle.connection.disconnect());

    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (jobs: BullMqJobQueue): ProcessComponent => ({
        name: 'redis producer',
        order: BOOT_ORDER.connections,
        start: async () =>
          logger.info(
            { step: 'queue', producer: jobs.producer },
            `jobs this process enqueues carry the id prefix ${jobs.producer}`,
          ),
        stop: () => closeQueue(handle),
      }),
      [BullMqJobQueue],
    );
    // The single history writer: only the leader reads the event stream, resuming from the
    // cursor the last leader left, so every outcome is written once.
    bind<LeadershipFollower>(T.LEADERSHIP_FOLLOWER).toResolvedValue(
      (recorder: BullMqHistoryRecorder) => ({
        onLeadership: (isLeader) => void (isLeader ? recorder.lead() : recorder.follow()),
      }),
      [T.HISTORY_RECORDER],
    );
    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (recorder: BullMqHistoryRecorder) => ({
        name: 'history recorder',
        order: BOOT_ORDER.connections,
        stop: () => recorder.close(),
      }),
      [T.HISTORY_RECORDER],
    );
  });
