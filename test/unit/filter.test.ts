/** Elastic Path filter expressions built from the typed filters the upstream API takes. */
import { describe, expect, it } from 'vitest';
import { accountFilterExpression, memberFilterExpression, membershipFilterExpression } from '../../src/upstream/filter.js';

const RON = '0f2c3b7e-8a41-4c3e-9d55-1b2a3c4d5e6f';
const LESLIE = '6a1d9c0e-2b3f-4e5a-8c7d-9e0f1a2b3c4d';

describe('memberFilterExpression', () => {
  it('is undefined for no filter and for a filter with every field unset', () => {
    expect(memberFilterExpression(undefined)).toBeUndefined();
    expect(memberFilterExpression({})).toBeUndefined();
    expect(memberFilterExpression({ name: null, email: null, nameLike: null, emailLike: null })).toBeUndefined();
  });

  it('writes exact values with eq and "contains" with like and a * at both ends, each quoted', () => {
    expect(memberFilterExpression({ name: 'Ron' })).toBe('eq(name,"Ron")');
    expect(memberFilterExpression({ email: 'ron@swanson.com' })).toBe('eq(email,"ron@swanson.com")');
    expect(memberFilterExpression({ nameLike: 'swan' })).toBe('like(name,"*swan*")');
    expect(memberFilterExpression({ emailLike: 'parks' })).toBe('like(email,"*parks*")');
  });

  it('joins the fields set with : (AND), in a fixed order', () => {
    expect(memberFilterExpression({ nameLike: 'knope', email: 'leslie@knope.com' })).toBe(
      'eq(email,"leslie@knope.com"):like(name,"*knope*")',
    );
    expect(memberFilterExpression({ emailLike: 'e', nameLike: 'n', email: 'E', name: 'N' })).toBe(
      'eq(name,"N"):eq(email,"E"):like(name,"*n*"):like(email,"*e*")',
    );
  });

  it('keeps quotes, backslashes and filter syntax inside one escaped operand', () => {
    expect(memberFilterExpression({ nameLike: 'x"),eq(email,"ron@swanson.com' })).toBe('like(name,"*x\\"),eq(email,\\"ron@swanson.com*")');
    expect(memberFilterExpression({ name: 'back\\slash "quoted"' })).toBe('eq(name,"back\\\\slash \\"quoted\\"")');
    expect(memberFilterExpression({ name: 'a:b,c(d)' })).toBe('eq(name,"a:b,c(d)")');
  });

  it('narrows to a list of ids with in(id,…), unquoted', () => {
    expect(memberFilterExpression({ ids: [RON, LESLIE] })).toBe(`in(id,${RON},${LESLIE})`);
  });
});

describe('accountFilterExpression', () => {
  it('narrows to a list of ids with in(id,…), and is undefined without one', () => {
    expect(accountFilterExpression({ ids: [RON] })).toBe(`in(id,${RON})`);
    expect(accountFilterExpression({})).toBeUndefined();
    expect(accountFilterExpression(undefined)).toBeUndefined();
  });
});

describe('membershipFilterExpression', () => {
  it('writes eq(account_member_id,<uuid>) unquoted, and is undefined without a member', () => {
    expect(membershipFilterExpression({ accountMemberId: RON })).toBe(`eq(account_member_id,${RON})`);
    expect(membershipFilterExpression({})).toBeUndefined();
    expect(membershipFilterExpression(undefined)).toBeUndefined();
  });

  it('refuses a member id that is not a UUID, so nothing unquoted can carry filter syntax', () => {
    for (const id of [`${RON}),eq(name,x`, 'not-a-uuid', '------------------------------------', '']) {
      expect(() => membershipFilterExpression({ accountMemberId: id })).toThrow(TypeError);
    }
  });
});
