import { invalidInput } from './errors.js';

/** Synced once per whitelisted agent. */
export const AGENT_SYNC_TYPES = ['orders', 'customers', 'ddt', 'invoices'] as const;
/** Synced once for everybody, under the pseudo-agent below. */
export const SHARED_SYNC_TYPES = ['products', 'prices'] as const;
export const SYNC_TYPES = [...AGENT_SYNC_TYPES, ...SHARED_SYNC_TYPES] as const;

export type AgentSyncType = (typeof AGENT_SYNC_TYPES)[number];
export type SharedSyncType = (typeof SHARED_SYNC_TYPES)[number];
export type SyncType = (typeof SYNC_TYPES)[number];

export const SERVICE_ACCOUNT = 'service-account';

/** Queue priority per type (lower runs first), part of the queue contract. */
export const SYNC_PRIORITY: Readonly<Record<SyncType, number>> = {
  customers: 10,
  orders: 11,
  ddt: 12,
  invoices: 13,
  products: 14,
  prices: 15,
};

export const isSyncType = (value: unknown): value is SyncType =>
  typeof value === 'string' && (SYNC_TYPES as readonly string[]).includes(value);

export const isSharedType = (type: SyncType): type is SharedSyncType =>
  (SHARED_SYNC_TYPES as readonly string[]).includes(type);

/** Accepts `orders` and the queue's own spelling `sync-orders`. */
export function parseSyncType(raw: unknown, field = 'type'): SyncType {
  const name = typeof raw === 'string' && raw.startsWith('sync-') ? raw.slice(5) : raw;
  if (isSyncType(name)) return name;
  throw invalidInput(field, `must be one of ${SYNC_TYPES.join(', ')}`);
}

export const jobName = (type: SyncType): string => `sync-${type}`;
