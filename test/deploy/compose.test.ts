import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { ROOT } from '../../scripts/local-servers';

/**
 * deploy/docker-compose.yml, checked offline: valid against the Compose Specification's JSON schema
 * (vendored as deploy/compose-spec.json), NATS with JetStream, MongoDB, and the four services built
 * from deploy/Dockerfile, each started with its bundle and configured only with documented variables.
 */
const compose = parse(readFileSync(join(ROOT, 'deploy', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    { image?: string; command?: string[]; build?: { context: string; dockerfile: string }; environment?: Record<string, string> }
  >;
};
const schema = JSON.parse(readFileSync(join(ROOT, 'deploy', 'compose-spec.json'), 'utf8')) as object;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// The schema names draft-07 by its https URL; ajv knows it by its http one.
const draft07 = JSON.parse(readFileSync(require.resolve('ajv/dist/refs/json-schema-draft-07.json'), 'utf8')) as object;
ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
const validate = ajv.compile(schema);

describe('deploy/docker-compose.yml', () => {
  it('is valid against the Compose Specification schema, which refuses an unknown field', () => {
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    const broken = structuredClone(compose);
    Object.assign(broken.services.nats as object, { imagee: 'nats:2.11' });
    expect(validate(broken)).toBe(false);
  });

  it('runs NATS with JetStream, MongoDB and the four services built from deploy/Dockerfile', () => {
    const { nats, mongo, ...flowgate } = compose.services;
    expect(nats?.command).toContain('--jetstream');
    expect(mongo?.image).toMatch(/^mongo:/);
    expect(Object.keys(flowgate).sort()).toEqual(['callback', 'execution', 'ingress', 'scheduler']);
    for (const [name, service] of Object.entries(flowgate)) {
      expect(service.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(existsSync(join(ROOT, 'deploy', service.build?.context ?? '', service.build?.dockerfile ?? ''))).toBe(true);
      expect(service.command).toEqual([`dist/${name}.js`]);
      expect(existsSync(join(ROOT, 'services', name, 'src', 'main.ts'))).toBe(true);
    }
  });

  it('sets only variables the README documents', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const service of Object.values(compose.services))
      for (const variable of Object.keys(service.environment ?? {}))
        expect([variable, readme.includes(`\`${variable}\``)]).toEqual([variable, true]);
  });
});
