import { useEffect, useRef } from 'react';
import { useAuth } from './auth';
import { Header } from './components/Header';
import { useI18n, type MessageKey } from './i18n';
import Explorer from './pages/Explorer';
import Login from './pages/Login';
import NotFound from './pages/NotFound';
import Overview from './pages/Overview';
import { href, navigate, useLocation } from './router';

const routes: Record<string, { page: () => React.JSX.Element; title: MessageKey }> = {
  '/': { page: Overview, title: 'nav.overview' },
  '/entities': { page: Explorer, title: 'nav.entities' },
};

export default function App() {
  const { t } = useI18n();
  const { state } = useAuth();
  const { path, params } = useLocation();
  const onLogin = path === '/login';
  const route = routes[path];
  const Page = route?.page ?? NotFound;
  const first = useRef(true);
  const next = params.get('next');
  function done() {
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
  }

  // Without a session every page is the login page (/login?next=…); after
  // logging in, back to the page asked for.
  useEffect(() => {
    if (state.status === 'anonymous' && !onLogin) {
      navigate(href('/login', { next: path === '/' ? null : window.location.pathname + window.location.search }), { replace: true });
    }
  }, [state.status, onLogin, path]);

  useEffect(() => {
    if (state.status === 'user' && onLogin) done();
  });

  useEffect(() => {
    const title = onLogin ? 'login.heading' : (route?.title ?? 'notFound.heading');
    document.title = `${t(title)} — ${t('app.name')} · ${t('app.titleShort')}`;
  }, [route, onLogin, t]);

  let content;
  if (state.status === 'checking') {
    content = <p className="notice" role="status">{t('session.checking')}</p>;
  } else if (state.status === 'anonymous') {
    content = <Login expired={state.expired} onDone={done} />;
  } else if (onLogin) {
    content = <Login expired={false} onDone={done} />;
  } else {
    content = <Page />;
  }

  // After a navigation (not the first load), move focus to the new page's
  // heading so keyboard and screen-reader users start there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('page-title')?.focus({ preventScroll: false });
  }, [path]);

  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <Header />
      <main id="main" className="app-main" tabIndex={-1}>
        {content}
      </main>
      <footer className="app-footer">
        <p>{t('app.footer')}</p>
      </footer>
    </>
  );
}
