-- Up Migration
-- Additive and re-runnable: every statement is a no-op on a database that already has its
-- objects, and the seed never overwrites an interval an operator has changed.
-- There is deliberately no down section: node-pg-migrate then refuses to migrate down
-- instead of dropping the operator's settings.
create schema if not exists system;

create table if not exists system.sync_settings (
  sync_type text primary key
    constraint sync_settings_sync_type_check
    check (sync_type in ('orders', 'customers', 'ddt', 'invoices', 'products', 'prices')),
  interval_minutes integer not null
    constraint sync_settings_interval_minutes_check
    check (interval_minutes between 5 and 1440),
  enabled boolean not null default true,
  updated_at timestamptz not null default now()
);

insert into system.sync_settings (sync_type, interval_minutes)
values
  ('orders', 10),
  ('customers', 15),
  ('ddt', 20),
  ('invoices', 20),
  ('products', 30),
  ('prices', 60)
on conflict (sync_type) do nothing;
