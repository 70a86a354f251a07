import { useEffect, useState } from 'react';
import { useAuth } from '../auth';
import { useI18n, type Lang, type MessageKey } from '../i18n';
import { Link } from '../router';

function Clock() {
  const { d, t } = useI18n();
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 15_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time className="clock" dateTime={now.toISOString()} aria-label={t('app.clock')}>
      {d(now, { weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' })}
    </time>
  );
}

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  const options: { value: Lang; short: string; label: string }[] = [
    { value: 'vi', short: 'VI', label: t('lang.vi') },
    { value: 'en', short: 'EN', label: t('lang.en') },
  ];
  return (
    <div className="lang-switch" role="group" aria-label={t('lang.label')}>
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          lang={o.value}
          aria-pressed={lang === o.value}
          aria-label={o.label}
          title={o.label}
          data-lang={o.value}
          onClick={() => setLang(o.value)}
        >
          {o.short}
        </button>
      ))}
    </div>
  );
}

function Session() {
  const { t } = useI18n();
  const { state, signOut } = useAuth();
  if (state.status !== 'user') return null;
  const p = state.session.principal;
  const name = p.name;
  const role = t(`role.${p.role}` as MessageKey);
  return (
    <div className="session" data-user={p.name}>
      <p className="session__user">
        <span className="session__name">{name}</span>
        <span className="session__role">{role}</span>
      </p>
      <button type="button" className="btn btn--small" onClick={() => void signOut()}>
        {t('session.logout')}
      </button>
    </div>
  );
}

export function Header() {
  const { t } = useI18n();
  const { state } = useAuth();
  const signedIn = state.status === 'user';
  return (
    <header className="app-header">
      <div className="brand">
        <Link to="/" className="brand__logo" exact aria-label={`${t('app.name')} — ${t('nav.overview')}`}>
          <svg viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <path d="M7 23V9h6.5a7 7 0 0 1 0 14z" fill="none" stroke="currentColor" strokeWidth="3" />
            <circle cx="23.5" cy="11" r="3" fill="#ffc94d" />
          </svg>
          <span>{t('app.name')}</span>
        </Link>
        <p className="brand__title">{t('app.title')}</p>
      </div>
      {signedIn && (
      <nav className="main-nav" aria-label={t('nav.label')}>
        <ul>
          <li>
            <Link to="/" exact>
              {t('nav.overview')}
            </Link>
          </li>
          <li>
            <Link to="/entities">{t('nav.entities')}</Link>
          </li>
        </ul>
      </nav>
      )}
      <div className="header-tools">
        <Clock />
        <LanguageSwitch />
        <Session />
      </div>
    </header>
  );
}
