import { cacheKeyOf } from './http-cache.interceptor.js';

describe('cacheKeyOf', () => {
  it('ignores the order in which a value’s keys were set', () => {
    expect(cacheKeyOf('/api/v1/jobs', [{ stateId: 5, sort: 'popular' }])).toBe(
      cacheKeyOf('/api/v1/jobs', [{ sort: 'popular', stateId: 5 }]),
    );
  });

  it('drops what JSON drops (absent fields), so an unset field and no field are one key', () => {
    expect(cacheKeyOf('/api/v1/jobs', [{ q: undefined, limit: 20 }])).toBe(
      cacheKeyOf('/api/v1/jobs', [{ limit: 20 }]),
    );
  });

  it('tells apart values, types, routes, nested values and tricky characters', () => {
    const keys = [
      cacheKeyOf('/api/v1/jobs', [{ stateId: 5 }]),
      cacheKeyOf('/api/v1/jobs', [{ stateId: 6 }]),
      cacheKeyOf('/api/v1/jobs', [{ stateId: '5' }]),
      cacheKeyOf('/api/v1/spas', [{ stateId: 5 }]),
      cacheKeyOf('/api/v1/jobs', [{ q: 'a&b=c' }]),
      cacheKeyOf('/api/v1/jobs', [{ q: 'a', b: 'c' }]),
      cacheKeyOf('/api/v1/jobs/:idOrSlug', [{ id: 8 }]),
      cacheKeyOf('/api/v1/jobs/:idOrSlug', [{ slug: '8' }]),
      cacheKeyOf('/api/v1/jobs/:idOrSlug', [{ id: 8 }, { a: { b: 1 } }]),
      cacheKeyOf('/api/v1/jobs/:idOrSlug', [{ id: 8 }, { a: { b: 2 } }]),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
