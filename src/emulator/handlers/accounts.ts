/** GET /v2/accounts and GET /v2/accounts/{accountID}. */
import { pathParam, type Handler } from '../context.js';
import { accountNotFound } from '../errors.js';
import { instantField, textField } from '../filter.js';
import { accountUrl, withSelfLink } from '../links.js';
import { listPage, type ListSpec } from '../listing.js';
import { TIMESTAMP_AND_ID_SORTS, byText } from '../sort.js';
import type { StoredAccount } from '../store.js';

const TEXT_OPERATORS = ['eq', 'like'] as const;
const INSTANT_OPERATORS = ['eq', 'lt', 'le', 'gt', 'ge'] as const;

const ACCOUNT_LIST: ListSpec<StoredAccount> = {
  filters: {
    id: textField(['eq', 'in'], (account) => account.id),
    name: textField(TEXT_OPERATORS, (account) => account.dto.name),
    legal_name: textField(TEXT_OPERATORS, (account) => account.dto.legal_name),
    registration_id: textField(TEXT_OPERATORS, (account) => account.dto.registration_id),
    external_ref: textField(TEXT_OPERATORS, (account) => account.dto.external_ref),
    created_at: instantField(INSTANT_OPERATORS, (account) => account.createdMs),
    updated_at: instantField(INSTANT_OPERATORS, (account) => account.updatedMs),
  },
  sorts: { ...TIMESTAMP_AND_ID_SORTS, name: byText((account) => account.dto.name) },
};

export const listAccounts: Handler = (context) => {
  const { page } = listPage(context, context.store.accounts, ACCOUNT_LIST, (account) =>
    withSelfLink(account.dto, accountUrl(context.origin, account.id)),
  );
  return { status: 200, body: page };
};

export const getAccount: Handler = (context) => {
  const account = context.store.getAccount(pathParam(context, 'accountId'));
  if (account === undefined) throw accountNotFound();
  return { status: 200, body: { data: account.dto, links: { self: accountUrl(context.origin, account.id) } } };
};
