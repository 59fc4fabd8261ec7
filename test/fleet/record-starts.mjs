// Preloaded into each fleet gateway (`node --import`): writes every start its quota grants to
// stderr as one JSON line, for the tests to measure the window from the grant times.
import { subscribe } from 'node:diagnostics_channel';

subscribe('ep-gateway:upstream-quota-start', (start) => {
  process.stderr.write(`${JSON.stringify({ quotaStart: start })}\n`);
});
