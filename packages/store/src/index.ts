export * from './documents';
export * from './executions';
export * from './json-text';
export * from './store';
export * from './dead-letters';
export * from './insert-if-absent';
export * from './workflow-context';
