import { describe, expect, it } from 'vitest';
import { queueHashTag, queueKey, schedulerKey } from '../../../src/adapters/queue/keys.js';

describe('queue keys', () => {
  it("names a key of the service's own under the queue, as BullMQ names the queue's keys", () => {
    expect(queueKey('{bull}', 'operations', 'wait')).toBe('{bull}:operations:wait');
    expect(schedulerKey('{bull}', 'operations', 'leader')).toBe(
      '{bull}:operations:sync-scheduler:leader',
    );
  });

  describe('queueHashTag', () => {
    it('is the text between the first { and the next }, in the prefix or the queue name', () => {
      expect(queueHashTag('{bull}', 'operations')).toBe('bull');
      expect(queueHashTag('app{jobs}x', 'operations')).toBe('jobs');
      expect(queueHashTag('bull', '{operations}')).toBe('operations');
      expect(queueHashTag('{a', 'b}')).toBe('a:b');
    });

    it('is null when the keys would scatter over the slots', () => {
      expect(queueHashTag('bull', 'operations')).toBeNull();
      expect(queueHashTag('{}bull', '{operations}')).toBeNull(); // an empty tag: whole key
      expect(queueHashTag('{bull', 'operations')).toBeNull(); // closed only by some suffix
      expect(queueHashTag('bull}', 'operations')).toBeNull();
    });
  });
});
