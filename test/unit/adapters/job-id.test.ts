import { describe, expect, it } from 'vitest';
import { decodeJobId, encodeJobId, type JobIdParts } from '../../../src/adapters/queue/job-id.js';

const parts = (overrides: Partial<JobIdParts> = {}): JobIdParts => ({
  producer: 'Ab3_-x9QzZk',
  term: 42,
  seq: 123_456,
  type: 'orders',
  userId: 'agent-1',
  ...overrides,
});

describe('job id codec', () => {
  describe('encodeJobId', () => {
    it('reads producer, term, base-36 counter, type and base64url agent in that order', () => {
      expect(encodeJobId(parts())).toBe('Ab3_-x9QzZk.42.2n9c.orders.YWdlbnQtMQ');
    });

    it('writes m for the term of a job enqueued without a lease', () => {
      expect(encodeJobId(parts({ term: null }))).toBe('Ab3_-x9QzZk.m.2n9c.orders.YWdlbnQtMQ');
    });

    it('never writes a colon nor an integer, which BullMQ refuses as custom ids', () => {
      const id = encodeJobId(parts({ userId: 'a:b:c', seq: 1 }));
      expect(id).not.toContain(':');
      expect(Number.isInteger(Number(id))).toBe(false);
    });
  });

  describe('decodeJobId', () => {
    it.each([
      ['a plain agent id', 'agent-1'],
      ['colons and dots', 'tenant:eu.agent.7:x'],
      ['unicode', 'agente-è-ß-東京-🚚'],
      ['spaces and slashes', ' a / b \\ c '],
      ['the service account', 'service-account'],
      ['a lone dot', '.'],
    ])('round-trips %s', (_, userId) => {
      const original = parts({ userId });
      expect(decodeJobId(encodeJobId(original))).toEqual(original);
    });

    it('round-trips every sync type, a manual term and the extremes of the counter', () => {
      for (const type of [
        'orders',
        'customers',
        'ddt',
        'invoices',
        'products',
        'prices',
      ] as const) {
        for (const [term, seq] of [
          [null, 0],
          [1, 1],
          [9_007_199, Number.MAX_SAFE_INTEGER],
        ] as const) {
          const original = parts({ type, term, seq });
          expect(decodeJobId(encodeJobId(original))).toEqual(original);
        }
      }
    });

    it('refuses an id whose agent is empty', () => {
      expect(decodeJobId(encodeJobId(parts({ userId: '' })))).toBeNull();
      expect(decodeJobId('Ab3_-x9QzZk.42.2n9c.orders.')).toBeNull();
    });

    it.each([
      ['a BullMQ counter id', '17'],
      ['a UUID', '3f2b8c1e-7a4d-4c2e-9b1a-0d5e6f7a8b9c'],
      ['the earlier prefix-counter ids', 'Ab3_-x9QzZk-2n9c'],
      ['an unknown sync type', 'Ab3_-x9QzZk.42.2n9c.payments.YWdlbnQtMQ'],
      ['a term that is not a number', 'Ab3_-x9QzZk.x1.2n9c.orders.YWdlbnQtMQ'],
      ['a counter with capitals', 'Ab3_-x9QzZk.42.2N9C.orders.YWdlbnQtMQ'],
      ['too few parts', 'Ab3_-x9QzZk.42.orders.YWdlbnQtMQ'],
      ['too many parts', 'Ab3_-x9QzZk.42.2n9c.orders.YWdlbnQtMQ.x'],
      ['padded base64', 'Ab3_-x9QzZk.42.2n9c.orders.YWdlbnQtMQ=='],
      ['a non-canonical agent encoding', 'Ab3_-x9QzZk.42.2n9c.orders.YWdlbnQtMR'],
      ['an empty id', ''],
    ])('answers null for %s', (_, id) => {
      expect(decodeJobId(id)).toBeNull();
    });
  });
});
