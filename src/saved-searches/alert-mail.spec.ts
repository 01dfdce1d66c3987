import { alertMail, type AlertJob } from './alert-mail.js';

const job = (title: string): AlertJob => ({
  title,
  spaName: 'Serenity <Spa>',
  cityName: 'Palm Springs',
  stateCode: 'CA',
  url: 'http://localhost:8010/api/v1/jobs/massage-therapist-abc',
});

describe('alertMail', () => {
  it('names the one job, its spa, city and link, and the unsubscribe link, in both parts', () => {
    const mail = alertMail('Ana', 'Massage', [job('Massage Therapist')], 'http://x/unsub?token=t');
    expect(mail.subject).toBe('New job for "Massage": Massage Therapist');
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('Massage Therapist');
      expect(part).toContain('Palm Springs');
      expect(part).toContain('http://localhost:8010/api/v1/jobs/massage-therapist-abc');
      expect(part).toContain('http://x/unsub?token=t');
    }
    expect(mail.text).toContain('Serenity <Spa>, Palm Springs (CA)');
  });

  it('lists every job of a digest, escapes HTML and keeps user text on one line', () => {
    const mail = alertMail(
      'Ana\r\nBcc: evil@example.com',
      'Spa <b>jobs</b>',
      [job('One'), job('Two <script>')],
      'http://x/u',
    );
    expect(mail.subject).toBe('2 new jobs for "Spa <b>jobs</b>"');
    expect(mail.text).not.toMatch(/\nBcc:/);
    expect(mail.html).toContain('Two &lt;script&gt;');
    expect(mail.html).toContain('Serenity &lt;Spa&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>');
  });
});
