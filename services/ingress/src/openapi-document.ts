/** The OpenAPI document `/openapi.json` serves, built offline from the route declarations (packages/client generates its types from it). */
export { openApiDocument } from './app';
