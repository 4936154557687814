-- Up Migration
-- Outcomes of sync jobs, for monitoring. Several replicas may report the same outcome, so
-- (job_id, finished_at) is unique: a retried job finishes again at another time and counts
-- as a new event. Retention is bounded by the application's prune, not here.
-- Re-runnable; deliberately no down section.
create table if not exists system.sync_events (
  id bigserial primary key,
  job_id text not null,
  sync_type text not null
    constraint sync_events_sync_type_check
    check (sync_type in ('orders', 'customers', 'ddt', 'invoices', 'products', 'prices')),
  user_id text not null,
  success boolean not null,
  finished_at timestamptz not null,
  duration_ms integer null,
  error text null,
  recorded_at timestamptz not null default now(),
  constraint sync_events_job_id_finished_at_key unique (job_id, finished_at)
);

-- Serves "newest N per type" (one index range per type) and the per-type retention cut.
create index if not exists sync_events_sync_type_finished_at_idx
  on system.sync_events (sync_type, finished_at desc);
