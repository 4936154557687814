-- Up Migration
-- Per-(type, agent) sync state and the pair breakers (issue #11). One row per pair; shared
-- types keep theirs under 'service-account'. Written only by the leader (ticks and the single
-- history writer), read by every replica. recent_failures holds the failures within the
-- rolling window (24 h by default) as of the last write, oldest first; failures_24h is its
-- length, generated so that it can never disagree with it.
-- open_period_ms remembers how long the breaker was opened for, so that a failed probe opens it
-- again for the same period.
-- Re-runnable and additive; deliberately no down section.
create table if not exists system.sync_agent_state (
  sync_type text not null
    constraint sync_agent_state_sync_type_check
    check (sync_type in ('orders', 'customers', 'ddt', 'invoices', 'products', 'prices')),
  user_id text not null,
  last_enqueued_at timestamptz null,
  last_started_at timestamptz null,
  last_completed_at timestamptz null,
  last_failed_at timestamptz null,
  last_failure_reason text null
    constraint sync_agent_state_reason_length_check check (char_length(last_failure_reason) <= 500),
  consecutive_failures integer not null default 0
    constraint sync_agent_state_consecutive_failures_check check (consecutive_failures >= 0),
  recent_failures timestamptz[] not null default '{}',
  failures_24h integer generated always as (cardinality(recent_failures)) stored,
  breaker_state text not null default 'closed'
    constraint sync_agent_state_breaker_state_check
    check (breaker_state in ('closed', 'open', 'half_open')),
  open_until timestamptz null,
  open_period_ms bigint null,
  updated_at timestamptz not null default now(),
  constraint sync_agent_state_pkey primary key (sync_type, user_id)
);

-- blockedPairs and openCounts: only the few pairs whose breaker is not closed.
create index if not exists sync_agent_state_blocked_idx
  on system.sync_agent_state (sync_type, user_id)
  where breaker_state <> 'closed';

-- The list's order and keyset: newest failure first, never-failed last, then type and agent.
create index if not exists sync_agent_state_list_idx
  on system.sync_agent_state (last_failed_at desc nulls last, sync_type, user_id);

-- One agent's rows.
create index if not exists sync_agent_state_user_id_idx
  on system.sync_agent_state (user_id);

-- The fleet-wide ERP breaker: a single row (the check pins `id` to true). window holds the
-- newest outcomes ([{ "at": <epoch ms>, "success": <bool> }], newest last, at most the rule's
-- window size); probe, while half open, { "sent", "succeeded", "failed" }.
create table if not exists system.erp_breaker (
  id boolean primary key default true
    constraint erp_breaker_single_row check (id),
  state text not null default 'closed'
    constraint erp_breaker_state_check check (state in ('closed', 'open', 'half_open')),
  since timestamptz null,
  open_until timestamptz null,
  "window" jsonb not null default '[]',
  probe jsonb null,
  updated_at timestamptz not null default now()
);

insert into system.erp_breaker (id) values (true) on conflict (id) do nothing;
