import { cacheKeyOf } from './http-cache.interceptor.js';

describe('cacheKeyOf', () => {
  it('ignores parameter order', () => {
    expect(cacheKeyOf('/api/v1/jobs', { stateId: '5', sort: 'popular' })).toBe(
      cacheKeyOf('/api/v1/jobs', { sort: 'popular', stateId: '5' }),
    );
  });

  it('tells apart values, repeated parameters, paths and tricky characters', () => {
    const keys = [
      cacheKeyOf('/api/v1/jobs', { stateId: '5' }),
      cacheKeyOf('/api/v1/jobs', { stateId: '6' }),
      cacheKeyOf('/api/v1/jobs', { stateId: ['5', '6'] }),
      cacheKeyOf('/api/v1/spas', { stateId: '5' }),
      cacheKeyOf('/api/v1/jobs', { q: 'a&b=c' }),
      cacheKeyOf('/api/v1/jobs', { q: 'a', b: 'c' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
