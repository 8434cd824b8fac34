import { ApiError } from '@flowgate/contracts';
import { z } from 'zod';
import { apiKeyId, deadLetterId, deliveryId, executionId, sourceId, waitToken, workflowId } from './schemas';

/**
 * Path parameters naming one resource. A value that cannot be an id names nothing: 404 with the
 * resource's code (as an unknown id), not a 400.
 */
export const workflowPath = {
  params: z.object({ id: workflowId }),
  notFound: { id: (id: string) => new ApiError('workflow_not_found', `Workflow ${id} not found`) },
};
export const executionPath = {
  params: z.object({ id: executionId }),
  notFound: { id: (id: string) => new ApiError('execution_not_found', `Execution ${id} not found`) },
};
export const deliveryPath = {
  params: z.object({ id: deliveryId }),
  notFound: { id: (id: string) => new ApiError('delivery_not_found', `Delivery ${id} not found`) },
};
export const deadLetterPath = {
  params: z.object({ id: deadLetterId }),
  notFound: { id: (id: string) => new ApiError('dead_letter_not_found', `Dead letter ${id} not found`) },
};
export const apiKeyPath = {
  params: z.object({ id: apiKeyId }),
  notFound: { id: (id: string) => new ApiError('api_key_not_found', `API key ${id} not found`) },
};
export const sourcePath = {
  params: z.object({ id: sourceId }),
  notFound: { id: (id: string) => new ApiError('source_not_found', `Source ${id} not found`) },
};
export const waitNotFound = () => new ApiError('wait_not_found', 'This wait is over or does not exist');
export const waitPath = { params: z.object({ token: waitToken }), notFound: { token: waitNotFound } };
