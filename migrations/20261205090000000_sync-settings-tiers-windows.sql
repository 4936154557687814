-- Up Migration
-- ERP load controls (issue #12): per type, how many intervals an idle / offline agent waits
-- between syncs (0 = not synced by ticks), and optional working hours as a JSON object
-- {"from":"07:00","to":"20:00","days":[1,2,3,4,5],"timeZone":"Europe/Rome"} (validated by
-- the application; null = always). Lives beside the interval, so the NOTIFY trigger and the
-- desired-state version already cover every change. Re-runnable and additive; no down section.
alter table system.sync_settings
  add column if not exists idle_multiplier integer not null default 4,
  add column if not exists offline_multiplier integer not null default 0,
  add column if not exists working_window jsonb;

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'sync_settings_idle_multiplier_check') then
    alter table system.sync_settings add constraint sync_settings_idle_multiplier_check
      check (idle_multiplier between 0 and 100);
  end if;
  if not exists (select 1 from pg_constraint where conname = 'sync_settings_offline_multiplier_check') then
    alter table system.sync_settings add constraint sync_settings_offline_multiplier_check
      check (offline_multiplier between 0 and 100);
  end if;
  if not exists (select 1 from pg_constraint where conname = 'sync_settings_working_window_check') then
    alter table system.sync_settings add constraint sync_settings_working_window_check
      check (working_window is null or jsonb_typeof(working_window) = 'object');
  end if;
end
$$;
