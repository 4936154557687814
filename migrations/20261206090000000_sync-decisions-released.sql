-- Up Migration
-- The dashboard's charts (issue #14) show per slot how many jobs were released (added to the
-- queue) beside what became of them; the scheduler records them as decisions of class
-- 'released', one row per tick (or release pass) with a non-zero count, like the others.
-- Widens the class check only: every row already stored stays valid. Replaced in one
-- transaction (the migrations run in one), so no writer ever sees the table unchecked; the
-- table is bounded by retention, so validating it is instant.
-- Re-runnable and additive; deliberately no down section.
alter table system.sync_decisions drop constraint if exists sync_decisions_class_check;
alter table system.sync_decisions add constraint sync_decisions_class_check
  check (class in (
    'released', 'deduplicated', 'skipped_breaker', 'skipped_window', 'deferred_budget'
  ));
