import { describe, expect, it } from 'vitest';
import {
  compareStreamIds,
  toPairOutcome,
  toStartedJob,
  toSyncEvent,
} from '../../../src/adapters/queue/bullmq-history-recorder.js';
import { encodeJobId } from '../../../src/adapters/queue/job-id.js';

const jobId = encodeJobId({ producer: 'AbC_12-x', term: 7, seq: 42, type: 'ddt', userId: 'a/7' });

describe('toSyncEvent', () => {
  it('reads a completed outcome from the entry alone: id, type, agent, stream time', () => {
    expect(toSyncEvent('1767254400123-4', ['event', 'completed', 'jobId', jobId])).toEqual({
      jobId,
      type: 'ddt',
      userId: 'a/7',
      success: true,
      finishedAt: 1767254400123,
      durationMs: null,
      error: null,
    });
  });

  it("keeps a failed outcome's reason, or says 'failed' without one", () => {
    const fields = ['event', 'failed', 'jobId', jobId, 'failedReason', 'ERP timed out'];
    expect(toSyncEvent('1-0', fields)).toMatchObject({ success: false, error: 'ERP timed out' });
    expect(toSyncEvent('1-0', ['event', 'failed', 'jobId', jobId])?.error).toBe('failed');
  });

  it('ignores other events and jobs whose id this service did not write', () => {
    expect(toSyncEvent('1-0', ['event', 'active', 'jobId', jobId, 'prev', 'waiting'])).toBeNull();
    expect(toSyncEvent('1-0', ['event', 'completed', 'jobId', 'bull-1'])).toBeNull();
    expect(toSyncEvent('1-0', ['event', 'drained'])).toBeNull();
  });
});

describe('compareStreamIds', () => {
  it('orders by time, then by sequence, numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-3', '10-3')).toBe(0);
    expect(compareStreamIds('11-0', '10-99')).toBeGreaterThan(0);
  });
});

describe('toStartedJob', () => {
  it("reads which pair a worker took, and when, from an 'active' entry", () => {
    const fields = ['event', 'active', 'jobId', jobId, 'prev', 'waiting'];
    expect(toStartedJob('1767254400123-0', fields)).toEqual({
      type: 'ddt',
      userId: 'a/7',
      at: 1767254400123,
    });
  });

  it('ignores other events and jobs whose id this service did not write', () => {
    expect(toStartedJob('1-0', ['event', 'completed', 'jobId', jobId])).toBeNull();
    expect(toStartedJob('1-0', ['event', 'active', 'jobId', 'bull-1'])).toBeNull();
    expect(toStartedJob('1-0', ['event', 'active'])).toBeNull();
  });
});

describe('toPairOutcome', () => {
  it('keeps what the breakers need: pair, success, finish time and reason', () => {
    const event = toSyncEvent('5-0', ['event', 'failed', 'jobId', jobId, 'failedReason', 'down']);
    expect(event && toPairOutcome(event)).toEqual({
      type: 'ddt',
      userId: 'a/7',
      success: false,
      at: 5,
      reason: 'down',
    });
  });
});
