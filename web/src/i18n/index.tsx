import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en } from './en';
import { vi, type MessageKey } from './vi';

export type Lang = 'vi' | 'en';
export type { MessageKey };

const dictionaries: Record<Lang, Record<MessageKey, string>> = { vi, en };
const locales: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB' };
const storageKey = 'dothi.lang';

export type Params = Record<string, string | number>;

export interface I18n {
  lang: Lang;
  locale: string;
  setLang: (lang: Lang) => void;
  /** Translates key, replacing {name} placeholders with params. */
  t: (key: MessageKey, params?: Params) => string;
  /** Formats a number for the current locale. */
  n: (value: number, options?: Intl.NumberFormatOptions) => string;
  /** Formats a date for the current locale. */
  d: (value: Date | string | number, options?: Intl.DateTimeFormatOptions) => string;
}

function storedLang(): Lang {
  try {
    const v = localStorage.getItem(storageKey);
    if (v === 'vi' || v === 'en') return v;
  } catch {
    // storage may be unavailable (private mode, sandboxed frame)
  }
  return 'vi';
}

export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const text = dictionaries[lang][key] ?? vi[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(storedLang);

  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(storageKey, l);
    } catch {
      // ignore: the choice then lasts for this page only
    }
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const value = useMemo<I18n>(() => {
    const locale = locales[lang];
    const numberFormats = new Map<string, Intl.NumberFormat>();
    return {
      lang,
      locale,
      setLang,
      t: (key, params) => translate(lang, key, params),
      n: (v, options) => {
        const k = JSON.stringify(options ?? {});
        let f = numberFormats.get(k);
        if (!f) {
          f = new Intl.NumberFormat(locale, options);
          numberFormats.set(k, f);
        }
        return f.format(v);
      },
      d: (v, options) => {
        const date = v instanceof Date ? v : new Date(v);
        if (Number.isNaN(date.getTime())) return String(v);
        return new Intl.DateTimeFormat(locale, options ?? { dateStyle: 'medium', timeStyle: 'short' }).format(date);
      },
    };
  }, [lang, setLang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
