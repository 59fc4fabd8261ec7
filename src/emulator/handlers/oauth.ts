/** POST /oauth/access_token: client_credentials and implicit grants, form-encoded. */
import type { TokenResponseDto } from '../../upstream/dto.js';
import type { Handler } from '../context.js';
import { badRequest, invalidClientCredentials } from '../errors.js';

export const createAccessToken: Handler = (context) => {
  const form = new URLSearchParams(context.body);
  const grantType = form.get('grant_type');
  const { clientId, clientSecret } = context.settings;
  if (grantType !== 'client_credentials' && grantType !== 'implicit') {
    throw badRequest("grant_type must be 'client_credentials' or 'implicit'");
  }
  const secretMatches = grantType === 'implicit' || form.get('client_secret') === clientSecret;
  if (form.get('client_id') !== clientId || !secretMatches) throw invalidClientCredentials();

  const issued = context.tokens.issue(grantType);
  const body: TokenResponseDto = {
    expires: issued.expires,
    identifier: issued.kind,
    expires_in: issued.expiresIn,
    access_token: issued.accessToken,
    token_type: 'Bearer',
  };
  return { status: 200, body };
};
