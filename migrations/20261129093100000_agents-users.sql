-- Up Migration
-- agents.users usually belongs to the host application (with more columns and its own
-- indexes). It is created, with the index for the agent registry's query, only when it is
-- absent; an existing schema or table is never touched, not even indexed: this service's role
-- may not own it (CREATE SCHEMA / CREATE INDEX would fail even with IF NOT EXISTS), and an
-- index build would block the host's writes. There is deliberately no down section.
do $$
begin
  if to_regnamespace('agents') is null then
    create schema agents;
  end if;

  if to_regclass('agents.users') is null then
    create table agents.users (
      id text primary key,
      username text not null,
      whitelisted boolean not null default true
    );
    -- Serves `where whitelisted order by username, id` with an index-only scan.
    create index users_whitelisted_username_idx on agents.users (username, id) where whitelisted;
  end if;
end
$$;
