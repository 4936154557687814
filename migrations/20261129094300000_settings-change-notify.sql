-- Up Migration
-- Every committed change to the desired state, by any replica or by hand in psql, wakes the
-- replicas listening on `sync_scheduler_settings`. Statement-level: one UPDATE of six rows is
-- one notification, and PostgreSQL folds identical notifications of one transaction anyway.
-- The payload is only the table's name; listeners reload everything they need.
-- Re-runnable (the triggers are created only when absent); deliberately no down section.
create or replace function system.notify_sync_settings_changed() returns trigger
language plpgsql as $$
begin
  perform pg_notify('sync_scheduler_settings', tg_table_name);
  return null;
end
$$;

do $$
begin
  if not exists (
    select from pg_trigger
    where tgrelid = 'system.sync_settings'::regclass and tgname = 'sync_settings_notify'
  ) then
    create trigger sync_settings_notify
      after insert or update or delete or truncate on system.sync_settings
      for each statement execute function system.notify_sync_settings_changed();
  end if;

  if not exists (
    select from pg_trigger
    where tgrelid = 'system.scheduler_state'::regclass and tgname = 'scheduler_state_notify'
  ) then
    create trigger scheduler_state_notify
      after insert or update or delete or truncate on system.scheduler_state
      for each statement execute function system.notify_sync_settings_changed();
  end if;
end
$$;
