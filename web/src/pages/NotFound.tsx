import { useI18n } from '../i18n';
import { Link } from '../router';

export default function NotFound() {
  const { t } = useI18n();
  return (
    <div className="panel not-found">
      <h1 id="page-title" tabIndex={-1}>
        {t('notFound.heading')}
      </h1>
      <p>{t('notFound.body')}</p>
      <p>
        <Link to="/" className="btn">
          {t('notFound.back')}
        </Link>
      </p>
    </div>
  );
}
