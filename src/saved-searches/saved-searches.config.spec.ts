import { loadConfig } from '../config/app-config.js';

describe('saved searches configuration', () => {
  it('keeps 10 saved searches per seeker unless MAX_SAVED_SEARCHES says otherwise', () => {
    expect(loadConfig({}).savedSearches).toEqual({ maxPerUser: 10 });
    expect(loadConfig({ MAX_SAVED_SEARCHES: '25' }).savedSearches).toEqual({ maxPerUser: 25 });
  });

  it.each(['0', '1001', 'ten', '2.5'])('refuses MAX_SAVED_SEARCHES=%s, naming it', (value) => {
    expect(() => loadConfig({ MAX_SAVED_SEARCHES: value })).toThrow('MAX_SAVED_SEARCHES');
  });
});
