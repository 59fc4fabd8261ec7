/** `Account`: a business or household that members act for. Loaded per request through the account loader. */
import { builder } from './builder.js';
import { cost, typeCost, type TypeCost } from '../cost/declare.js';
import { BATCH_SIZE } from '../upstream/loaders.js';
import type { Context } from './context.js';
import type { AccountDto } from '../upstream/dto.js';
import { isUuid } from '../domain/ids.js';
import { recordFields, type RecordRef } from './record-ref.js';
import { uuidArgument } from './error-adapters.js';
import { afterSpeculativeReads, startReadsOf } from './speculative-reads.js';

/** An account as far as it is known: the id always, the record when a response carried it. */
export type AccountRef = RecordRef<AccountDto>;

const { field, record, find } = recordFields((context) => context.loaders.account);

/** Makes account records a response carried available to later lookups in the same request. */
export function primeAccounts(accounts: readonly AccountDto[] | undefined, context: Context): void {
  for (const dto of accounts ?? []) context.loaders.account.prime(dto.id, dto);
}

// Declared before it is implemented: `parent` refers to the type itself.
export const Account = builder.objectRef<AccountRef>('Account');

/** Accounts load in `in(id,…)` batches; federation's references read them through the same loader. */
const accountCost: TypeCost = {
  records: { batchSize: BATCH_SIZE, batched: () => true },
  reference: { key: ['id'], lookup: true },
};

Account.implement({
  description: 'An Elastic Path account: the business or household that account members transact for.',
  ...typeCost(accountCost),
  fields: (t) => ({
    id: t.exposeID('id', { ...cost.free(), description: 'Elastic Path account id (a UUID).' }),
    name: t.string({
      ...cost.record(),
      description: 'The account name.',
      resolve: async (account, _args, context) => (await record(account, context)).name,
    }),
    legalName: t.string({
      ...cost.record(),
      nullable: true,
      description: 'The legal name, when set.',
      resolve: field((dto) => dto.legal_name),
    }),
    registrationId: t.string({
      ...cost.record(),
      nullable: true,
      description: 'The registration id, when set (unique in the store).',
      resolve: field((dto) => dto.registration_id),
    }),
    externalRef: t.string({
      ...cost.record(),
      nullable: true,
      description: 'A reference from another system, when set.',
      resolve: field((dto) => dto.external_ref),
    }),
    // Reads this account's record for the parent's id; the parent's own record loads when selected.
    parent: t.field({
      ...cost.of({ readsRecord: true, yields: 'reference' }, { objectType: true }),
      type: Account,
      nullable: true,
      description: 'The parent account in an account hierarchy, if any.',
      resolve: async (account, _args, context) => {
        const dto = await record(account, context);
        const parentId = dto.parent_id ?? dto.relationships?.parent?.data?.id;
        return parentId ? { id: parentId } : null;
      },
    }),
    createdAt: t.field({
      ...cost.record(),
      type: 'DateTime',
      nullable: true,
      description: 'When the account was created.',
      resolve: field((dto) => dto.meta?.timestamps?.created_at),
    }),
    updatedAt: t.field({
      ...cost.record(),
      type: 'DateTime',
      nullable: true,
      description: 'When the account was last updated.',
      resolve: field((dto) => dto.meta?.timestamps?.updated_at),
    }),
  }),
});

builder.asEntity(Account, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: ({ id }, context) => (isUuid(id) ? find(id.toLowerCase(), context) : null),
});

builder.queryField('account', (t) =>
  t.field({
    ...cost.of({ yields: 'lookup' }, { objectType: true }),
    type: Account,
    nullable: true,
    description: 'One account by id (GET /v2/accounts/{id}), or null when there is none.',
    args: { id: t.arg.id({ required: true, description: 'Account id (a UUID).' }) },
    resolve: (_root, args, context, info) => {
      const id = uuidArgument(args.id, 'id');
      const account = find(id, context);
      // `memberships` needs only the id: it starts now, beside the account's own read.
      return afterSpeculativeReads(account, startReadsOf('Account', id, info.fieldNodes, info, context, { record: false }));
    },
  }),
);
