import { mayManage } from './spa-access.js';

describe('mayManage', () => {
  it.each([
    ['the owner while an employer', { id: 7, role: 'employer' }, true],
    ['an admin, whoever owns it', { id: 1, role: 'admin' }, true],
    ['the owner once demoted to job seeker', { id: 7, role: 'job_seeker' }, false],
    ['another employer', { id: 8, role: 'employer' }, false],
    ['a job seeker', { id: 9, role: 'job_seeker' }, false],
  ] as const)('%s → %s', (_, actor, allowed) => {
    expect(mayManage(actor, 7)).toBe(allowed);
  });
});
