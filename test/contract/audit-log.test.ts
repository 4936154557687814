import { InMemoryAgentStateStore } from '../../src/adapters/memory/in-memory-agent-state-store.js';
import { InMemoryAuditLog } from '../../src/adapters/memory/in-memory-audit-log.js';
import { InMemorySettingsStore } from '../../src/adapters/memory/in-memory-settings-store.js';
import { PostgresAgentStateStore } from '../../src/adapters/postgres/postgres-agent-state-store.js';
import { PostgresAuditLog } from '../../src/adapters/postgres/postgres-audit-log.js';
import { PostgresSettingsStore } from '../../src/adapters/postgres/postgres-settings-store.js';
import {
  DEFAULT_ERP_BREAKER_RULES,
  DEFAULT_PAIR_BREAKER_RULES,
} from '../../src/domain/breakers.js';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { describeAuditLogContract } from './audit-log.contract.js';

describeAuditLogContract('InMemoryAuditLog (with the in-memory stores)', async () => {
  const log = new InMemoryAuditLog();
  return {
    log,
    settings: new InMemorySettingsStore(DEFAULT_INTERVALS, log),
    agentState: new InMemoryAgentStateStore(
      DEFAULT_PAIR_BREAKER_RULES,
      DEFAULT_ERP_BREAKER_RULES,
      log,
    ),
    breakAuditWrites: async () => log.failWith(new Error('audit_log: check constraint violated')),
    cleanup: async () => {},
  };
});

const db = useTestDatabase();

describeAuditLogContract('PostgresAuditLog (with the PostgreSQL stores)', async () => {
  const { pool } = db();
  // Every fixture starts from a fresh install's state and an empty trail.
  await pool.query(
    `alter table system.audit_log drop constraint if exists audit_log_broken;
     truncate system.audit_log, system.sync_agent_state;
     update system.scheduler_state set running = true;`,
  );
  await pool.query(
    `update system.sync_settings set interval_minutes = ($1::jsonb ->> sync_type)::int,
       enabled = true, idle_multiplier = 4, offline_multiplier = 0, working_window = null`,
    [JSON.stringify(DEFAULT_INTERVALS)],
  );
  return {
    log: new PostgresAuditLog(pool),
    settings: new PostgresSettingsStore(pool),
    agentState: new PostgresAgentStateStore(pool),
    // Any row from now on breaks it: the insert fails inside the change's transaction.
    breakAuditWrites: async () => {
      await pool.query(
        'alter table system.audit_log add constraint audit_log_broken check (false) not valid',
      );
    },
    cleanup: async () => {},
  };
});
