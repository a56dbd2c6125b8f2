// Polish and English. The user's choice is kept in the browser; the first visit follows the
// browser's language. Dates, numbers and money are formatted by Intl for the chosen locale.
import { en } from './locales/en.js';
import { pl } from './locales/pl.js';

const dictionaries = { en, pl };
const stored = (() => {
  try {
    return localStorage.getItem('quire.lang');
  } catch {
    return null;
  }
})();
let lang = stored && dictionaries[stored] ? stored : (navigator.language || 'en').toLowerCase().startsWith('pl') ? 'pl' : 'en';
document.documentElement.lang = lang;

export function language() {
  return lang;
}

export function setLanguage(next) {
  if (!dictionaries[next]) return;
  lang = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem('quire.lang', next);
  } catch {
    // private mode: the choice lasts for the page only
  }
}

// t('inbox.claimed', { n: 3 }): the text in the chosen language, {name} filled in.
export function t(key, vars) {
  const text = dictionaries[lang][key] ?? en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

const locales = { en: 'en-GB', pl: 'pl-PL' };

// tn('customers.count', 3): the plural form the language needs for n (Polish has one, few
// and many: "1 klient", "3 klientów"... are told apart by Intl.PluralRules), {n} filled in.
export function tn(key, n) {
  const form = new Intl.PluralRules(locales[lang]).select(n);
  const dict = dictionaries[lang];
  const text = dict[`${key}.${form}`] ?? dict[`${key}.other`] ?? en[`${key}.${form}`] ?? en[`${key}.other`] ?? key;
  return text.replace('{n}', new Intl.NumberFormat(locales[lang]).format(n));
}

export function formatDateTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatDate(iso) {
  if (!iso) return '';
  // A calendar date ("2026-12-07") is that day wherever the browser is: read and shown in
  // UTC, not shifted into the previous day west of Greenwich.
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  return new Intl.DateTimeFormat(locales[lang], dateOnly ? { dateStyle: 'medium', timeZone: 'UTC' } : { dateStyle: 'medium' }).format(new Date(iso));
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locales[lang]).format(n);
}

// Money arrives as a decimal string ("1234.50"): formatted without passing through a
// binary floating-point number (Intl takes the string as it is).
export function formatMoney(amount, currency) {
  return new Intl.NumberFormat(locales[lang], { style: 'currency', currency }).format(amount);
}
