-- Up Migration
-- A version for the desired state (system.sync_settings + system.scheduler_state), so that
-- every replica applies changes in commit order and a slow read can never undo a newer
-- command. One counter row, bumped by a statement-level trigger in the same transaction as
-- every change, by this service or by hand in psql. Writers serialise on that row's lock, so
-- versions follow commit order: a snapshot with version N contains every change up to N.
-- The NOTIFY payload is the new version. Re-runnable; deliberately no down section.
create table if not exists system.desired_state_version (
  id boolean primary key default true
    constraint desired_state_version_single_row check (id),
  version bigint not null default 1,
  -- The transaction that last bumped it: one bump per transaction, however many statements
  -- (INSERT ... ON CONFLICT DO UPDATE alone fires both the INSERT and the UPDATE triggers).
  bumped_by xid8 null
);

insert into system.desired_state_version (id, version)
values (true, 1)
on conflict (id) do nothing;

create or replace function system.notify_sync_settings_changed() returns trigger
language plpgsql as $$
declare
  new_version bigint;
begin
  update system.desired_state_version
    set version = version + 1, bumped_by = pg_current_xact_id()
    where id and bumped_by is distinct from pg_current_xact_id()
    returning version into new_version;
  if new_version is null then
    if exists (select from system.desired_state_version where id) then
      return null; -- already bumped (and announced) by this transaction
    end if;
    -- The row was deleted by hand: recreate it above every version ever handed out.
    insert into system.desired_state_version (id, version, bumped_by)
    values (true, (extract(epoch from clock_timestamp()) * 1000)::bigint, pg_current_xact_id())
    returning version into new_version;
  end if;
  perform pg_notify('sync_scheduler_settings', new_version::text);
  return null;
end
$$;
