/**
 * One JSON line per GraphQL operation, at info level: who asked (request id, client), what
 * (operation name, type, document hash), how it went (HTTP status, duration, error codes) and what
 * it cost Elastic Path (calls, retries, lost answers looked up). Never the token, never variables: they hold emails.
 */
import type { Logger } from './logger.js';
import { operationLabel } from './names.js';
import type { RequestSink } from './records.js';

export function accessLog(logger: Logger): RequestSink {
  return (record, status) => {
    // A request that carried no operation and failed nothing (health, GraphiQL, a preflight) is not one.
    if (record.operations.length === 0 && record.requestCodes.length === 0) return;
    if (!logger.isLevelEnabled('info')) return;
    const durationMs = Math.round((performance.now() - record.startedAt) * 100) / 100;
    const common = {
      requestId: record.id,
      clientName: record.clientName,
      clientVersion: record.clientVersion,
      status,
      durationMs,
    };
    // What was refused before it could parse (the whole request, or some operations of a batch).
    if (record.requestCodes.length > 0) {
      logger.info({ ...common, upstreamCalls: 0, upstreamRetries: 0, errorCodes: record.requestCodes }, 'operation');
    }
    for (const operation of record.operations) {
      logger.info(
        {
          ...common,
          operationName: operationLabel(operation.name),
          operationType: operation.type,
          documentHash: operation.documentHash,
          upstreamCalls: operation.calls,
          upstreamRetries: operation.retries,
          estimatedCalls: operation.estimatedCalls,
          // Writes whose answer was lost and then looked up, by outcome; absent when there were none.
          reconciliations: operation.reconciliations,
          errorCodes: operation.codes,
        },
        'operation',
      );
    }
  };
}
