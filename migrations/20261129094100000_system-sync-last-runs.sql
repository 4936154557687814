-- Up Migration
-- Each type's last tick, so the schedule keeps its phase across restarts and leader
-- handovers instead of firing everything at boot. Re-runnable; deliberately no down section.
create table if not exists system.sync_last_runs (
  sync_type text primary key
    constraint sync_last_runs_sync_type_check
    check (sync_type in ('orders', 'customers', 'ddt', 'invoices', 'products', 'prices')),
  last_run_at timestamptz not null
);
