import { escapeHtml, oneLine } from '../mail/mail-text.js';
import type { TokenPurpose } from './account-tokens.js';

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

interface Who {
  name: string;
}

const paragraphs = (lines: string[]) => lines.map((l) => `<p>${l}</p>`).join('\n');

/** The mail that carries a token's link: what it does, for how long, and what to do if unasked. */
export function tokenMail(
  purpose: TokenPurpose,
  who: Who & { email: string; newEmail: string | null },
  link: string,
  hours: number,
): MailContent {
  const name = oneLine(who.name);
  const valid = hours === 1 ? '1 hour' : `${hours} hours`;
  const intro = {
    verify_email: 'Please confirm that this is your e-mail address for spajobs.',
    change_email: `Please confirm that ${oneLine(who.newEmail ?? '')} is the new e-mail address of your spajobs account.`,
    password_reset: 'Someone (we hope you) asked to reset the password of your spajobs account.',
  }[purpose];
  const action = {
    verify_email: 'Verify my address',
    change_email: 'Confirm the new address',
    password_reset: 'Choose a new password',
  }[purpose];
  const subject = {
    verify_email: 'Verify your e-mail address',
    change_email: 'Confirm your new e-mail address',
    password_reset: 'Reset your password',
  }[purpose];
  const unasked =
    purpose === 'password_reset'
      ? 'If you did not ask, ignore this mail: your password stays as it is.'
      : 'If you did not ask, ignore this mail: nothing changes.';
  const note = `The link works once, for ${valid}. ${unasked}`;
  return {
    subject,
    text: [`Hello ${name},`, '', intro, '', `${action}: ${link}`, '', note].join('\n'),
    html: paragraphs([
      `Hello ${escapeHtml(name)},`,
      escapeHtml(intro),
      `<a href="${escapeHtml(link)}">${escapeHtml(action)}</a>`,
      escapeHtml(note),
    ]),
  };
}

/** To the old address when a change is asked for: the owner learns of it, even if not them. */
export function emailChangeNotice(who: Who, newEmail: string): MailContent {
  const name = oneLine(who.name);
  const lines = [
    `A change of your spajobs account's e-mail address to ${oneLine(newEmail)} was requested.`,
    'It takes effect only once the new address confirms it.',
    'If this was not you, change your password now: someone knows it.',
  ];
  return {
    subject: 'A change of your e-mail address was requested',
    text: [`Hello ${name},`, '', ...lines].join('\n'),
    html: paragraphs([`Hello ${escapeHtml(name)},`, ...lines.map(escapeHtml)]),
  };
}
