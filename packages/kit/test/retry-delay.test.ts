import { errorRetryDelayMs } from '../src/nats';

describe('errorRetryDelayMs', () => {
  it('doubles from 1 s to a 60 s cap, so ten deliveries span minutes, not seconds', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(errorRetryDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000,
    ]);
    const total = [1, 2, 3, 4, 5, 6, 7, 8, 9].reduce((sum, n) => sum + errorRetryDelayMs(n), 0);
    expect(total).toBeGreaterThan(200_000);
  });
});
