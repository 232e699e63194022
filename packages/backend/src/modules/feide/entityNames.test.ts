import {
  feideEntityName,
  feideGroupEntityRef,
  feideUserEntityRef,
} from './entityNames';

/** The catalog's rule for entity names. */
const VALID_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

describe('Feide ids as catalog entity names', () => {
  it('spells ordinary Feide ids out readably', () => {
    expect(
      feideGroupEntityRef('fc:adhoc:1f4e8a2c-7b3d-4c5e-9a1f-6d2b8c4e0a7f'),
    ).toBe('group:default/feide-fc_adhoc_1f4e8a2c-7b3d-4c5e-9a1f-6d2b8c4e0a7f');
    expect(feideGroupEntityRef('fc:org:uio.no:unit:0001')).toBe(
      'group:default/feide-fc_org_uio.no_unit_0001',
    );
    expect(feideUserEntityRef('c0a8e2f4-3b1d-4e6a-9f70-2d5b8c1e4a93')).toBe(
      'user:default/feide-c0a8e2f4-3b1d-4e6a-9f70-2d5b8c1e4a93',
    );
  });

  it('gives every id a valid name of at most 63 characters, the same one every time', () => {
    const ids = [
      'fc:org:uio.no:unit:ABC-123',
      'fc:gogroup:example.org:u:ex/2024/Høst:INF1000',
      `fc:adhoc:${'a'.repeat(80)}`,
      'fc:adhoc:',
      ':::',
      'fc:adhoc:x_y',
    ];
    for (const id of ids) {
      const name = feideEntityName(id);
      expect([id, VALID_NAME.test(name) && name.length <= 63]).toEqual([
        id,
        true,
      ]);
      expect(feideEntityName(id)).toBe(name);
    }
  });

  it('never gives two ids the same name, so no group can stand in for another', () => {
    const ids = [
      'fc:adhoc:x-y',
      'fc:adhoc:x:y',
      'fc:adhoc:x_y',
      'fc:adhoc:X-y',
      'fc:adhoc:x--y',
      `fc:adhoc:${'a'.repeat(60)}1`,
      `fc:adhoc:${'a'.repeat(60)}2`,
    ];
    const names = ids.map(feideEntityName);
    expect(new Set(names).size).toBe(ids.length);
  });
});
