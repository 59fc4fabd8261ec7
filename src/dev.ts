/**
 * `npm run dev`: the local Elastic Path emulator and the gateway pointed at it, with GraphiQL
 * opening on a working example. Honours PORT and EMULATOR_PORT (and every other setting).
 */
import { loadConfig, loadEmulatorConfig, settingsOrExit } from './config.js';
import { createEmulator } from './emulator/emulator.js';
import { DEMO } from './emulator/seed.js';
import { createGateway, type Gateway } from './gateway.js';
import { randomBytes } from 'node:crypto';
import { createLogger } from './observability/logger.js';
import { listenOrExit, stopOnSignals } from './process/lifecycle.js';

const EXAMPLE_OPERATION = `# Adds Andy Dwyer to Acme Corporation: press Run.
# The Authorization header below is already set.
# Run it twice to see MembershipAlreadyExistsError.
mutation AddMember {
  createAccountMembership(
    accountId: "${DEMO.accounts.acme.id}"
    accountMemberId: "${DEMO.members.andy.id}"
  ) {
    __typename
    ... on AccountMembership {
      id
      accountId
      createdAt
      accountMember { id name email }
    }
    ... on Error { message }
  }
}

`;

const { emulatorConfig, gatewayConfig } = settingsOrExit(() => ({
  emulatorConfig: loadEmulatorConfig(process.env),
  gatewayConfig: loadConfig(process.env),
}));
const logger = createLogger(gatewayConfig.logLevel);
const emulator = createEmulator({
  clientId: emulatorConfig.clientId,
  clientSecret: emulatorConfig.clientSecret,
  tokenLifetimeS: emulatorConfig.tokenLifetimeS,
  // A long-running process must not keep every request it ever received.
  recordRequests: false,
});
const emulatorUrl = await listenOrExit('Elastic Path emulator', () => emulator.listen(emulatorConfig.port, emulatorConfig.host), {
  EMULATOR_PORT: emulatorConfig.port,
});

// Before the gateway listens: whoever reads its start-up output may signal at once, and a signal
// with no handler yet would kill the process instead of draining it.
let gateway: Gateway | undefined;
stopOnSignals(
  async () => {
    await gateway?.close();
    await emulator.close();
  },
  {
    stopping: (signal) => logger.info({ signal }, 'signal received'),
    failed: (error) => logger.error({ err: error }, 'shutdown failed'),
  },
);

// GraphiQL's page holds its headers for as long as it stays open, so the session's token must
// outlive the hour an ordinary Elastic Path token lasts: this one lasts as long as the process.
// Tokens from the emulator's POST /oauth/access_token still expire (EMULATOR_TOKEN_LIFETIME_S).
const token = emulator.issueToken('client_credentials', { expires: false });
const authorization = `Bearer ${token}`;

// The emulator is the upstream here, whatever EP_API_BASE_URL says; its webhook deliveries reach
// the gateway's receiver with a secret made for this session (unless EP_WEBHOOK_SECRET gives one).
const webhookSecret = gatewayConfig.epWebhookSecret ?? randomBytes(24).toString('base64url');
// Events of memberships the gateway never saw are routed with the emulator's own client, as
// EP_CLIENT_ID and EP_CLIENT_SECRET would with a store's.
const config = {
  ...gatewayConfig,
  epApiBaseUrl: emulatorUrl,
  epWebhookSecret: webhookSecret,
  epClientCredentials: gatewayConfig.epClientCredentials ?? {
    clientId: emulatorConfig.clientId,
    clientSecret: emulatorConfig.clientSecret,
  },
};
gateway = createGateway(config, logger, {
  graphiql: { defaultQuery: EXAMPLE_OPERATION, headers: { Authorization: authorization } },
});
const server = await listenOrExit('Gateway', () => gateway.listen(), { PORT: config.port, METRICS_PORT: config.metricsPort });

// What an operator sends Elastic Path once, made here through the emulator's own Integrations API,
// so that a membership added with curl or the SDK straight against the emulator shows up live.
await fetch(`${emulatorUrl}/v2/integrations`, {
  method: 'POST',
  headers: { authorization, 'content-type': 'application/json' },
  body: JSON.stringify({
    data: {
      type: 'integration',
      name: 'Gateway membership events',
      integration_type: 'webhook',
      enabled: true,
      observes: ['account-membership.created', 'account-membership.updated', 'account-membership.deleted'],
      configuration: { url: `${server.url}${config.epWebhookPath}`, secret_key: webhookSecret },
    },
  }),
}).then((response) => {
  if (!response.ok) throw new Error(`registering the webhook with the emulator answered ${response.status}`);
});

process.stdout.write(`
  Elastic Path emulator   ${emulatorUrl}   (client ${emulatorConfig.clientId} / ${emulatorConfig.clientSecret})
  GraphiQL                ${server.url}/graphql
  Authorization header    ${authorization}
                          (lasts as long as npm run dev; GraphiQL opens with it set)
  Demo account            ${DEMO.accounts.acme.id}   ${DEMO.accounts.acme.name}
  Demo member to add      ${DEMO.members.andy.id}   ${DEMO.members.andy.name}
  Live events             subscription { accountMembershipEvents(accountId: "${DEMO.accounts.acme.id}") { type membership { accountMember { name } } } }
                          (the emulator delivers its membership events to ${server.url}${config.epWebhookPath})

  curl -s ${server.url}/graphql -H 'content-type: application/json' \\
    -H 'authorization: ${authorization}' \\
    -d '{"query":"{ accountMember(id: \\"${DEMO.members.ron.id}\\") { name email } }"}'

`);
