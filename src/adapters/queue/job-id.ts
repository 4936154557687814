import { isSyncType, type SyncType } from '../../domain/sync-types.js';

/**
 * What a job id says about its job: who enqueued it and for which (type, agent). Workers
 * never need it; the history writer does, because BullMQ may already have trimmed a finished
 * job (removeOnComplete) when its event is read, and the event carries only the id.
 *
 * `<producer>.<term>.<seq>.<type>.<user>`:
 * - producer: 64 random bits of the enqueuing process (base64url), logged at boot;
 * - term: the fencing term of the lease it enqueued under, `m` for a manual trigger (no lease);
 * - seq: a per-process counter in base 36, so an id is never reused and a deduplicated add is
 *   told apart exactly (BullMQ returns the holder's id);
 * - type: the sync type; user: the agent id in base64url (any string round-trips).
 * Never an integer and never a ':' (BullMQ refuses both for custom ids).
 */
export interface JobIdParts {
  readonly producer: string;
  /** null for a job enqueued without a lease (a manual trigger). */
  readonly term: number | null;
  readonly seq: number;
  readonly type: SyncType;
  readonly userId: string;
}

export function encodeJobId(parts: JobIdParts): string {
  const term = parts.term === null ? 'm' : String(parts.term);
  const user = Buffer.from(parts.userId, 'utf8').toString('base64url');
  return `${parts.producer}.${term}.${parts.seq.toString(36)}.${parts.type}.${user}`;
}

const PATTERN = /^([A-Za-z0-9_-]+)\.(m|\d+)\.([0-9a-z]+)\.([a-z]+)\.([A-Za-z0-9_-]*)$/;

/** null for an id this service did not write. */
export function decodeJobId(id: string): JobIdParts | null {
  const match = PATTERN.exec(id);
  if (!match) return null;
  const [, producer, term, seq, type, user] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!isSyncType(type)) return null;
  const userId = Buffer.from(user, 'base64url').toString('utf8');
  if (userId === '' || Buffer.from(userId, 'utf8').toString('base64url') !== user) return null;
  return {
    producer,
    term: term === 'm' ? null : Number(term),
    seq: Number.parseInt(seq, 36),
    type,
    userId,
  };
}
