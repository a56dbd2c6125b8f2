import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from './i18n.js';

// A document's content shown in the page: PDFs drawn by pdf.js (loaded only here, its
// worker from this origin, no eval: the page's CSP holds), the first pages as canvases;
// images as they are.
export function Preview({ url, mediaType }) {
  const host = useRef(null);
  const [error, setError] = useState('');
  const [pages, setPages] = useState(0);
  const pdf = mediaType === 'application/pdf';

  useEffect(() => {
    if (!pdf) return undefined;
    let gone = false;
    let task = null;
    (async () => {
      try {
        const pdfjs = await import('pdfjs-dist/build/pdf.mjs');
        pdfjs.GlobalWorkerOptions.workerSrc = '/assets/pdf.worker.min.mjs';
        task = pdfjs.getDocument({ url, isEvalSupported: false, withCredentials: true });
        const doc = await task.promise;
        if (gone) return;
        setPages(doc.numPages);
        host.current.replaceChildren();
        for (let n = 1; n <= Math.min(doc.numPages, 5); n += 1) {
          const page = await doc.getPage(n);
          const viewport = page.getViewport({ scale: 1.25 });
          const canvas = document.createElement('canvas');
          canvas.className = 'pdf-page';
          canvas.width = viewport.width;
          canvas.height = viewport.height;
          canvas.setAttribute('aria-label', t('preview.page', { n }));
          canvas.setAttribute('role', 'img');
          host.current.append(canvas);
          await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport }).promise;
          if (gone) return;
        }
      } catch (e) {
        if (!gone) setError(t('preview.failed', { why: e.message || String(e) }));
      }
    })();
    return () => {
      gone = true;
      if (task) task.destroy();
    };
  }, [url, pdf]);

  if (mediaType && mediaType.startsWith('image/')) {
    return (
      <section aria-labelledby="preview-title">
        <h2 id="preview-title">{t('preview.title')}</h2>
        <img class="image-preview" src={url} alt={t('preview.image')} />
      </section>
    );
  }
  if (!pdf) return null;
  return (
    <section aria-labelledby="preview-title">
      <h2 id="preview-title">{t('preview.title')}</h2>
      {pages > 5 && <p class="hint">{t('preview.firstPages', { n: pages })}</p>}
      {error && <p class="error">{error}</p>}
      <div class="pdf-pages" ref={host} />
    </section>
  );
}
