/** The shared `pg.Pool`, built once by the composition root. */
export const PG_POOL = Symbol.for('sync-scheduler/PgPool');
