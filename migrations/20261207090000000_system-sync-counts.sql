-- Up Migration
-- The dashboard's charts count outcomes and decisions per slot, but sync_events and
-- sync_decisions keep only the newest 500 rows per type: a 10,000-agent fleet finishes 40,000
-- jobs a cycle, so a 24 h chart would show its last minutes. This rollup keeps the counts
-- instead: one row per (type, scheduler minute, class), added to by the same statement that
-- writes the rows (so each outcome is counted once), pruned by age only (7 days by default).
-- bucket is the start of its minute (SCHEDULER_MINUTE_MS, 60 s in production): date_bin, so
-- PostgreSQL 14 or later.
-- Re-runnable and additive; deliberately no down section.
create table if not exists system.sync_counts (
  sync_type text not null
    constraint sync_counts_sync_type_check
    check (sync_type in ('orders', 'customers', 'ddt', 'invoices', 'products', 'prices')),
  bucket timestamptz not null,
  class text not null
    constraint sync_counts_class_check
    check (class in (
      'completed', 'failed', 'released', 'deduplicated', 'skipped_breaker', 'skipped_window',
      'deferred_budget'
    )),
  count bigint not null
    constraint sync_counts_count_check check (count > 0),
  -- Serves the charts (a range of one type's buckets) and the upserts.
  constraint sync_counts_pkey primary key (sync_type, bucket, class)
);

-- What the history already holds when this runs: counted in one-minute buckets (the
-- production minute). Do nothing on a conflict: when re-applied after the migration history
-- was lost, the rows already counted stay as they are.
insert into system.sync_counts (sync_type, bucket, class, count)
select sync_type, date_bin(interval '1 minute', finished_at, timestamptz 'epoch'),
       case when success then 'completed' else 'failed' end, count(*)
from system.sync_events
group by 1, 2, 3
union all
select sync_type, date_bin(interval '1 minute', decided_at, timestamptz 'epoch'), class,
       sum(count)
from system.sync_decisions
group by 1, 2, 3
on conflict (sync_type, bucket, class) do nothing;
