import { z } from 'zod';
import { baseConfigShape, ConfigError, env, loadConfig } from '../src/config';

describe('loadConfig', () => {
  const shape = { ...baseConfigShape, PORT: env.port(8080), FLAG: env.bool(false), SECRET: z.string().min(8) };

  it('applies defaults and coerces numbers and booleans', () => {
    const config = loadConfig(shape, { SECRET: 'abcdefgh', FLAG: 'true' });
    expect(config).toMatchObject({
      PORT: 8080,
      FLAG: true,
      NATS_URL: 'nats://127.0.0.1:4222',
      FLOWGATE_NATS_PREFIX: 'flowgate',
      LOG_LEVEL: 'info',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(shape, { SECRET: 'abcdefgh', PORT: '' }).PORT).toBe(8080);
  });

  it('names every bad variable and never echoes its value', () => {
    let error: unknown;
    try {
      loadConfig(shape, { PORT: '99999', FLOWGATE_NATS_PREFIX: 'bad prefix!', SECRET: 'tiny' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(problems).toEqual(['FLOWGATE_NATS_PREFIX', 'PORT', 'SECRET']);
    expect((error as ConfigError).message).not.toContain('tiny');
    expect((error as ConfigError).code).toBe('invalid_config');
  });
});
