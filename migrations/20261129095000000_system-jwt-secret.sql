-- Up Migration
-- The admin API's HMAC secret when JWT_SECRET is not set. The first replica to boot generates
-- it (insert ... on conflict do nothing, so replicas booting together agree on one row); every
-- replica and `npm run token` read it. A single row (the check pins `id` to true). Whoever can
-- read this table can sign admin tokens: grant it to no other role. Re-runnable and additive;
-- deliberately no down section.
create table if not exists system.jwt_secret (
  id boolean primary key default true
    constraint jwt_secret_single_row check (id),
  secret bytea not null
    constraint jwt_secret_length check (octet_length(secret) >= 32),
  created_at timestamptz not null default now()
);
