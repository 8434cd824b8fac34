export * from './api-errors';
export * from './messages';
export * from './proto';
export * from './subjects';
