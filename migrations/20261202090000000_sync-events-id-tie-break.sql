-- Up Migration
-- The history query and the retention cut order by (finished_at desc, id desc) within a type:
-- with id in the index, "newest N per type" is one index range that also settles ties between
-- equal finish times, with no sort on top. The new index replaces the old one, whose columns
-- are a prefix of it. Not concurrently: the migrations run in one transaction, and the table
-- is bounded by retention (500 events per type by default), so the build is instant.
-- Re-runnable; deliberately no down section.
create index if not exists sync_events_sync_type_finished_at_id_idx
  on system.sync_events (sync_type, finished_at desc, id desc);

drop index if exists system.sync_events_sync_type_finished_at_idx;
