-- Up Migration
-- The audit trail (issue #14): one row per accepted change made through the admin API, who
-- made it (the token's sub, else its userId claim, and the role), what (action, target),
-- the values before and after, and the request id that finds its log lines. Settings changes
-- and agent resets insert their row in the same transaction as the change; a trigger's row
-- follows its enqueue in Redis. `at` keeps milliseconds, so an API cursor (epoch ms, id)
-- round-trips exactly. Re-runnable and additive; deliberately no down section.
create table if not exists system.audit_log (
  id bigint generated always as identity primary key,
  at timestamptz(3) not null default now(),
  actor text,
  role text not null,
  action text not null,
  target text,
  before jsonb,
  after jsonb,
  request_id text
);

-- Newest first, ties by id: the list's order and its keyset pagination, unfiltered and by
-- actor or action.
create index if not exists audit_log_at_id_idx on system.audit_log (at desc, id desc);
create index if not exists audit_log_actor_at_id_idx on system.audit_log (actor, at desc, id desc);
create index if not exists audit_log_action_at_id_idx
  on system.audit_log (action, at desc, id desc);
