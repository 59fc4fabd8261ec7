/**
 * `npm run dev`: the local Elastic Path emulator and the gateway pointed at it, with GraphiQL
 * opening on a working example. Honours PORT and EMULATOR_PORT (and every other setting).
 */
import { loadConfig, loadEmulatorConfig, settingsOrExit } from './config.js';
import { createEmulator } from './emulator/emulator.js';
import { DEMO } from './emulator/seed.js';
import { createGateway } from './gateway.js';
import { createLogger } from './logger.js';
import type { TokenResponseDto } from './upstream/dto.js';

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
  // A long-running process must not keep every request it ever received.
  recordRequests: false,
});
const emulatorUrl = await emulator.listen(emulatorConfig.port, emulatorConfig.host);

// Log in the way any Elastic Path client does, so the printed token is an ordinary one.
const tokenResponse = await fetch(`${emulatorUrl}/oauth/access_token`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: emulatorConfig.clientId,
    client_secret: emulatorConfig.clientSecret,
  }),
});
const { access_token: token } = (await tokenResponse.json()) as TokenResponseDto;
const authorization = `Bearer ${token}`;

// The emulator is the upstream here, whatever EP_API_BASE_URL says.
const config = { ...gatewayConfig, epApiBaseUrl: emulatorUrl };
const gateway = createGateway(config, logger, {
  graphiql: { defaultQuery: EXAMPLE_OPERATION, headers: { Authorization: authorization } },
});
const server = await gateway.listen();

process.stdout.write(`
  Elastic Path emulator   ${emulatorUrl}   (client ${emulatorConfig.clientId} / ${emulatorConfig.clientSecret})
  GraphiQL                ${server.url}/graphql
  Authorization header    ${authorization}
                          (valid for 1 hour; GraphiQL opens with it set)
  Demo account            ${DEMO.accounts.acme.id}   ${DEMO.accounts.acme.name}
  Demo member to add      ${DEMO.members.andy.id}   ${DEMO.members.andy.name}

  curl -s ${server.url}/graphql -H 'content-type: application/json' \\
    -H 'authorization: ${authorization}' \\
    -d '{"query":"{ accountMember(id: \\"${DEMO.members.ron.id}\\") { name email } }"}'

`);

async function shutdown(): Promise<void> {
  await gateway.close();
  await emulator.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
