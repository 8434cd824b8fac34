import { z } from 'zod';

/** The HTTP methods of http steps, webhook triggers, CORS allow-lists and test runs. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const httpMethodSchema = z.enum(HTTP_METHODS);
