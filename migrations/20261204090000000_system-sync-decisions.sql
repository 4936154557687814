-- Up Migration
-- What each tick decided for the jobs it did not run (issue #11): one row per (tick, class)
-- with a non-zero count, so a tick of 10,000 agents writes at most two rows, not 10,000.
-- Job outcomes (completed, failed) stay in system.sync_events. Retention is bounded by the
-- application's prune, with the same bounds as the events.
-- Re-runnable and additive; deliberately no down section.
create table if not exists system.sync_decisions (
  id bigserial primary key,
  sync_type text not null
    constraint sync_decisions_sync_type_check
    check (sync_type in ('orders', 'customers', 'ddt', 'invoices', 'products', 'prices')),
  decided_at timestamptz not null,
  class text not null
    constraint sync_decisions_class_check
    check (class in ('deduplicated', 'skipped_breaker', 'skipped_window', 'deferred_budget')),
  count integer not null
    constraint sync_decisions_count_check check (count > 0)
);

-- Serves "newest N per type" and the per-type retention cut, ties settled by id.
create index if not exists sync_decisions_sync_type_decided_at_id_idx
  on system.sync_decisions (sync_type, decided_at desc, id desc);
