import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from '../../../src/adapters/http/verified-tokens.js';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);

function build(maxEntries = 3, maxAgeMs = 60_000) {
  let now = T0;
  const tokens = new VerifiedTokens(maxEntries, maxAgeMs, () => now);
  return { tokens, advance: (ms: number) => (now += ms) };
}

describe('VerifiedTokens', () => {
  it('serves a verified token until it expires', () => {
    const { tokens, advance } = build();
    const claims = { role: 'admin', exp: (T0 + 10_000) / 1000 };
    tokens.set('t-1', claims);
    advance(9_999);
    expect(tokens.get('t-1')).toBe(claims);
    advance(1);
    expect(tokens.get('t-1')).toBeUndefined();
  });

  it('forgets a long-lived token after the maximum age, so it is verified again', () => {
    const { tokens, advance } = build(3, 60_000);
    tokens.set('t-1', { role: 'admin', exp: (T0 + 3_600_000) / 1000 });
    advance(60_000);
    expect(tokens.get('t-1')).toBeUndefined();
  });

  it('never stores a token that has already expired', () => {
    const { tokens } = build();
    tokens.set('t-1', { role: 'admin', exp: T0 / 1000 - 1 });
    expect(tokens.get('t-1')).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const { tokens } = build(2);
    tokens.set('t-1', { role: 'admin' });
    tokens.set('t-2', { role: 'admin' });
    tokens.set('t-3', { role: 'admin' });
    expect(tokens.get('t-1')).toBeUndefined();
    expect(tokens.get('t-2')).toBeDefined();
    expect(tokens.get('t-3')).toBeDefined();
  });
});
