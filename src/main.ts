// The one entry point: `npm start`, `start:prod`, the Procfile, the Dockerfile and every cluster worker run
// this file. Tracing, when configured, must be in place before the modules it instruments are loaded, so
// the service itself is imported only once it is (a static import would load them all first).
import { startTracingIfConfigured } from './tracing/tracing.js';

await startTracingIfConfigured();
await import('./server.js');
