import { startTracing } from '@flowgate/kit/src/tracing';

startTracing('flowgate-ingress');
