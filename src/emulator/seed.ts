/**
 * Fixed demo data, so that examples, docs and tests can name ids that exist on every start.
 * Account Acme has three members; Andy and Tom are not in it, so adding either works.
 * Timestamps are fixed too, one with four fractional digits as some service versions send.
 */
import type { EmulatorStore } from './store.js';

export const DEMO = {
  accounts: {
    acme: { id: '0a000000-0000-4000-8000-000000000001', name: 'Acme Corporation' },
    acmeEurope: { id: '0a000000-0000-4000-8000-000000000002', name: 'Acme Europe' },
    globex: { id: '0a000000-0000-4000-8000-000000000003', name: 'Globex' },
  },
  members: {
    ron: { id: '0b000000-0000-4000-8000-000000000001', name: 'Ron Swanson', email: 'ron@swanson.com' },
    leslie: { id: '0b000000-0000-4000-8000-000000000002', name: 'Leslie Knope', email: 'leslie@knope.com' },
    april: { id: '0b000000-0000-4000-8000-000000000003', name: 'April Ludgate', email: 'april@ludgate.com' },
    andy: { id: '0b000000-0000-4000-8000-000000000004', name: 'Andy Dwyer', email: 'andy@dwyer.com' },
    tom: { id: '0b000000-0000-4000-8000-000000000005', name: 'Tom Haverford', email: 'tom@haverford.com' },
  },
  memberships: {
    acmeRon: { id: '0c000000-0000-4000-8000-000000000001', account: 'acme', member: 'ron' },
    acmeLeslie: { id: '0c000000-0000-4000-8000-000000000002', account: 'acme', member: 'leslie' },
    acmeApril: { id: '0c000000-0000-4000-8000-000000000003', account: 'acme', member: 'april' },
    acmeEuropeRon: { id: '0c000000-0000-4000-8000-000000000004', account: 'acmeEurope', member: 'ron' },
    globexTom: { id: '0c000000-0000-4000-8000-000000000005', account: 'globex', member: 'tom' },
  },
} as const;

export function seedDemoData(store: EmulatorStore): void {
  const { accounts, members, memberships } = DEMO;
  store.addAccount({
    ...accounts.acme,
    legal_name: 'Acme Corporation Ltd',
    registration_id: 'ACME-0001',
    external_ref: 'crm-1001',
    created_at: '2024-01-10T09:00:00.000Z',
  });
  store.addAccount({
    ...accounts.acmeEurope,
    parent_id: accounts.acme.id,
    created_at: '2024-01-11T09:00:00.000Z',
    updated_at: '2024-01-20T16:45:12.500Z',
  });
  store.addAccount({ ...accounts.globex, created_at: '2024-01-12T09:00:00.000Z' });

  store.addMember({
    ...members.ron,
    given_name: 'Ron',
    family_name: 'Swanson',
    created_at: '2024-02-01T08:30:00.8810Z',
  });
  store.addMember({ ...members.leslie, created_at: '2024-02-02T08:30:00.000Z' });
  store.addMember({ ...members.april, created_at: '2024-02-03T08:30:00.000Z' });
  store.addMember({ ...members.andy, created_at: '2024-02-04T08:30:00.000Z' });
  store.addMember({ ...members.tom, created_at: '2024-02-05T08:30:00.000Z' });

  let day = 1;
  for (const membership of Object.values(memberships)) {
    store.addMembership(accounts[membership.account].id, members[membership.member].id, {
      id: membership.id,
      created_at: `2024-03-0${day++}T10:00:00.000Z`,
    });
  }
}
