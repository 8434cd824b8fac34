import { startTracing } from '@flowgate/kit/tracing';

startTracing('flowgate-execution');
