-- Up Migration
-- Whether auto-sync runs, shared by every replica. A single row (the check pins `id` to
-- true): a fresh install starts running, and an operator's stop survives restarts because
-- the seed never overwrites it. Re-runnable and additive; deliberately no down section.
create table if not exists system.scheduler_state (
  id boolean primary key default true
    constraint scheduler_state_single_row check (id),
  running boolean not null default true,
  updated_at timestamptz not null default now()
);

insert into system.scheduler_state (id, running)
values (true, true)
on conflict (id) do nothing;
