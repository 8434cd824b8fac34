import { startTracing } from '@flowgate/kit/tracing';

startTracing('flowgate-scheduler');
