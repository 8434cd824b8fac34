export * from './definition';
export * from './errors';
export * from './execution';
export * from './expression';
export * from './json';
export * from './machine';
export * from './response';
export * from './template';
