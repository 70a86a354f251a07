import { useEffect, useRef, useState, type FormEvent } from 'react';
import { login, LoginError } from '../api/session';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';

export default function Login({ expired, onDone }: { expired: boolean; onDone: () => void }) {
  const { t } = useI18n();
  const { signedIn } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const totpRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (needTotp) totpRef.current?.focus();
  }, [needTotp]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await login(username, password, needTotp ? totp : undefined);
      signedIn(s);
      onDone();
    } catch (err) {
      const le = err instanceof LoginError ? err : new LoginError('error', String(err));
      switch (le.reason) {
        case 'invalid':
          setError(t('login.invalid'));
          break;
        case 'totp':
          setNeedTotp(true);
          setError(t('login.totpNeeded'));
          break;
        case 'totpSetup':
          setError(t('login.totpSetup'));
          break;
        case 'throttled':
          setError(t('login.throttled', { seconds: le.retryAfter || 60 }));
          break;
        default:
          setError(t('login.error', { detail: le.message }));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="login" aria-labelledby="page-title">
      <div className="panel login__panel">
        <h1 id="page-title" tabIndex={-1}>
          {t('login.heading')}
        </h1>
        <p className="login__intro">{t('login.intro')}</p>
        {expired && !error && (
          <p className="login__notice" role="status">
            {t('login.expired')}
          </p>
        )}
        <form onSubmit={submit} noValidate aria-describedby={error ? 'login-error' : undefined}>
          <div className="field">
            <label htmlFor="login-username">{t('login.username')}</label>
            <input
              id="login-username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              autoFocus
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="login-password">{t('login.password')}</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          {needTotp && (
            <div className="field">
              <label htmlFor="login-totp">{t('login.totp')}</label>
              <input
                id="login-totp"
                name="totp"
                ref={totpRef}
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]*"
                maxLength={8}
                aria-describedby="login-totp-hint"
                value={totp}
                onChange={(e) => setTotp(e.target.value)}
              />
              <p id="login-totp-hint" className="field__hint">
                {t('login.totpHint')}
              </p>
            </div>
          )}
          {error && (
            <p id="login-error" className="login__error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="btn btn--primary login__submit" disabled={busy || !username || !password} aria-busy={busy}>
            {busy ? t('login.busy') : t('login.submit')}
          </button>
        </form>
      </div>
    </section>
  );
}
