import { useEffect, useRef } from 'react';
import { Header } from './components/Header';
import { useI18n, type MessageKey } from './i18n';
import Explorer from './pages/Explorer';
import NotFound from './pages/NotFound';
import Overview from './pages/Overview';
import { useLocation } from './router';

const routes: Record<string, { page: () => React.JSX.Element; title: MessageKey }> = {
  '/': { page: Overview, title: 'nav.overview' },
  '/entities': { page: Explorer, title: 'nav.entities' },
};

export default function App() {
  const { t } = useI18n();
  const { path } = useLocation();
  const route = routes[path];
  const Page = route?.page ?? NotFound;
  const first = useRef(true);

  useEffect(() => {
    document.title = `${t(route?.title ?? 'notFound.heading')} — ${t('app.name')} · ${t('app.titleShort')}`;
  }, [route, t]);

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
        <Page />
      </main>
      <footer className="app-footer">
        <p>{t('app.footer')}</p>
      </footer>
    </>
  );
}
