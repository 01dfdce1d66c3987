import { escapeHtml, oneLine } from '../mail/mail-text.js';

/** A job as an alert mail shows it. */
export interface AlertJob {
  title: string;
  spaName: string;
  cityName: string;
  stateCode: string;
  url: string;
}

export interface AlertMailParts {
  subject: string;
  text: string;
  html: string;
}

/**
 * The mail of one new match (`jobs` has one job) or of a daily digest (several): plain text and
 * HTML, every value a user typed collapsed to one line and escaped for the HTML part.
 */
export function alertMail(
  recipientName: string,
  searchName: string,
  jobs: readonly AlertJob[],
  unsubscribeUrl: string,
): AlertMailParts {
  const search = oneLine(searchName);
  const lines = jobs.map((j) => ({
    title: oneLine(j.title),
    where: `${oneLine(j.spaName)}, ${oneLine(j.cityName)} (${j.stateCode})`,
    url: j.url,
  }));
  const single = lines.length === 1;
  const subject = single
    ? `New job for "${search}": ${lines[0].title}`
    : `${lines.length} new jobs for "${search}"`;
  const intro = single
    ? `A new job matches your saved search "${search}":`
    : `${lines.length} new jobs match your saved search "${search}":`;
  const text = [
    `Hello ${oneLine(recipientName)},`,
    '',
    intro,
    '',
    ...lines.flatMap((l) => [l.title, l.where, l.url, '']),
    `Stop the alerts of this search: ${unsubscribeUrl}`,
  ].join('\n');
  const html = [
    `<p>Hello ${escapeHtml(oneLine(recipientName))},</p>`,
    `<p>${escapeHtml(intro)}</p>`,
    '<ul>',
    ...lines.map(
      (l) =>
        `<li><a href="${escapeHtml(l.url)}">${escapeHtml(l.title)}</a><br>${escapeHtml(l.where)}</li>`,
    ),
    '</ul>',
    `<p><a href="${escapeHtml(unsubscribeUrl)}">Stop the alerts of this search</a></p>`,
  ].join('\n');
  return { subject, text, html };
}
