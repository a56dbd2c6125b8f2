import { useEffect, useRef, useState } from 'preact/hooks';
import { api, get, post, withQuery } from './api.js';
import { formatDateTime, formatMoney, t } from './i18n.js';
import { navigate } from './router.js';
import { ErrorText } from './ui.jsx';

// Offers the user may see, newest first.
export function Offers() {
  const [items, setItems] = useState([]);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    get(withQuery('/api/crm/offers', { status, limit: 50 }))
      .then((p) => setItems(p.items))
      .catch((e) => setError(e.message));
  }, [status]);
  return (
    <section aria-labelledby="offers-title">
      <h1 id="offers-title">{t('offers.title')}</h1>
      <div class="toolbar">
        <a class="button" href="/offers/new">
          {t('offers.new')}
        </a>
        <label>
          {t('offers.status')}{' '}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">{t('offers.any')}</option>
            {['draft', 'sent', 'accepted', 'rejected', 'expired', 'superseded'].map((s) => (
              <option key={s} value={s}>
                {t(`offer.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorText text={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t('offers.number')}</th>
            <th scope="col" class="wide">
              {t('offers.customer')}
            </th>
            <th scope="col">{t('offers.status')}</th>
            <th scope="col" class="num">
              {t('offers.gross')}
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((o) => (
            <tr key={o.id} data-offer={o.id}>
              <td>
                <a href={`/offers/${o.id}`}>{o.number}</a>
                {o.revision > 1 && <span class="sub"> r{o.revision}</span>}
              </td>
              <td class="wide">{o.customer}</td>
              <td>{t(`offer.${o.status}`)}</td>
              <td class="num">{formatMoney(o.totals.gross, o.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const RATES = ['23', '8', '5', '0', 'zw', 'np'];
const blankLine = () => ({ product: '', label: '', name: '', quantity: '1', unitPrice: '', discountPercent: '', taxRate: '' });

// A line's product, suggested while typing (GET /api/crm/products?search=: code or name,
// letter case and Polish diacritics ignored, by the server): a combobox in the ARIA sense,
// arrows to move through the suggestions, Enter to take one, Escape to close them. Text
// that matches no product stays as the line's own name (a service, a one-off item).
function ProductInput({ line, n, disabled, onChange }) {
  const [open, setOpen] = useState(false);
  const [found, setFound] = useState([]);
  const [active, setActive] = useState(-1);
  const timer = useRef(0);
  const listId = `product-suggestions-${n}`;
  const text = line.product ? line.label : line.name;
  const search = (value) => {
    clearTimeout(timer.current);
    if (!value.trim()) {
      setFound([]);
      setOpen(false);
      return;
    }
    timer.current = setTimeout(async () => {
      try {
        const page = await get(withQuery('/api/crm/products', { search: value.trim(), limit: 8 }));
        setFound(page.items);
        setActive(-1);
        setOpen(page.items.length > 0);
      } catch {
        setFound([]);
        setOpen(false);
      }
    }, 150);
  };
  useEffect(() => () => clearTimeout(timer.current), []);
  const take = (p) => {
    onChange({ product: p.id, label: `${p.code} ${p.name}`, name: '', unitPrice: '', taxRate: '' });
    setOpen(false);
  };
  const onKeyDown = (e) => {
    if (!open) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((active + step + found.length) % found.length);
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      take(found[active]);
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  };
  return (
    <div class="combo">
      <input
        role="combobox"
        aria-label={t('offers.productOf', { n })}
        aria-autocomplete="list"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls={listId}
        aria-activedescendant={open && active >= 0 ? `${listId}-${active}` : undefined}
        autocomplete="off"
        disabled={disabled}
        value={text}
        onInput={(e) => {
          const value = e.currentTarget.value;
          onChange({ product: '', label: '', name: value, unitPrice: '', taxRate: '' });
          search(value);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      {line.product && <span class="sub">{t('offers.fromCatalogue')}</span>}
      <ul id={listId} role="listbox" class="suggestions" hidden={!open} aria-label={t('offers.suggestions')}>
        {found.map((p, k) => (
          <li
            key={p.id}
            id={`${listId}-${k}`}
            role="option"
            aria-selected={k === active ? 'true' : 'false'}
            class={k === active ? 'active' : ''}
            onMouseDown={(e) => {
              e.preventDefault();
              take(p);
            }}
          >
            <strong>{p.code}</strong> {p.name}
          </li>
        ))}
      </ul>
    </div>
  );
}

// What the editor sends: lines of a product (its name, price and rate suggested by the
// server when left empty) or of a free name; empty values left out.
function linesOut(lines) {
  return lines.map((l) => {
    const o = {};
    if (l.product) o.product = l.product;
    else o.name = l.name;
    for (const k of ['quantity', 'unitPrice', 'discountPercent', 'taxRate']) if (l[k] !== '') o[k] = l[k];
    return o;
  });
}

// The offer editor: a customer, lines with product suggestions, the totals computed by the
// server as the lines change (POST /api/crm/offers/preview: exact decimals, the price lists,
// the customer's terms), then save, send, accept (locks it), PDF into the DMS, order.
export function OfferEditor({ id }) {
  const [offer, setOffer] = useState(null); // as stored; null for a new one
  const [customer, setCustomer] = useState('');
  const [customerName, setCustomerName] = useState('');
  const [currency, setCurrency] = useState('PLN');
  const [lines, setLines] = useState([blankLine()]);
  const [notes, setNotes] = useState('');
  const [preview, setPreview] = useState(null);
  const [previewError, setPreviewError] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [pdf, setPdf] = useState('');
  const [found, setFound] = useState([]);
  const timer = useRef(0);

  const fill = (o) => {
    setOffer(o);
    setCustomer(o.customer || '');
    setCurrency(o.currency || 'PLN');
    setNotes(o.notes || '');
    setLines(
      o.lines.map((l) => ({
        product: l.product || '',
        label: l.product ? l.name : '',
        name: l.product ? '' : l.name,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        discountPercent: l.discountPercent === '0' ? '' : l.discountPercent,
        taxRate: l.taxRate,
      })),
    );
    setPreview(o);
  };

  useEffect(() => {
    if (id !== 'new') {
      get(`/api/crm/offers/${id}`)
        .then(fill)
        .catch((e) => setError(e.message));
    }
  }, [id]);

  const locked = offer && offer.status !== 'draft' && offer.status !== 'sent';
  const body = () => ({ customer, currency, notes: notes || undefined, lines: linesOut(lines) });

  // Live totals, a moment after the last change.
  useEffect(() => {
    if (locked || !customer || lines.length === 0) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      try {
        const p = await post('/api/crm/offers/preview', offer ? { ...body(), offer: offer.id } : body());
        setPreview(p);
        setPreviewError('');
      } catch (e) {
        setPreviewError(e.message);
      }
    }, 300);
    return () => clearTimeout(timer.current);
  }, [customer, currency, JSON.stringify(lines), notes]);

  const findCustomer = async (words) => {
    setCustomerName(words);
    if (words.trim().length < 2) {
      setFound([]);
      return;
    }
    try {
      const a = await post('/api/crm/segments/query', { text: `name ~ ${JSON.stringify(words.trim())}`, limit: 8 });
      setFound(a.items);
    } catch {
      setFound([]);
    }
  };

  const act = async (what, fn) => {
    setError('');
    setStatus('');
    try {
      await fn();
      setStatus(t(`offers.did.${what}`));
    } catch (e) {
      setError(e.message);
    }
  };

  const save = () =>
    act('save', async () => {
      if (offer) {
        fill(await api('PATCH', `/api/crm/offers/${offer.id}`, body()));
      } else {
        const o = await post('/api/crm/offers', body());
        fill(o);
        navigate(`/offers/${o.id}`, { replace: true });
      }
    });

  const setLine = (i, change) => setLines(lines.map((l, k) => (k === i ? { ...l, ...change } : l)));

  return (
    <article aria-labelledby="offer-title" class="offer">
      <p>
        <a href="/offers">{t('offers.back')}</a>
      </p>
      <h1 id="offer-title">{offer ? `${t('link.offer')} ${offer.number}` : t('offers.new')}</h1>
      {offer && (
        <p class="facts-line">
          {t(`offer.${offer.status}`)}
          {offer.revision > 1 && ` · ${t('offers.revision', { n: offer.revision })}`}
          {offer.acceptedBy && ` · ${t('offers.acceptedBy', { user: offer.acceptedBy, at: formatDateTime(offer.acceptedAt) })}`}
        </p>
      )}
      {locked && <p class="notice">{t('offers.locked')}</p>}

      <form
        class="offer-form"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <fieldset disabled={locked}>
          <legend class="sr-only">{t('offers.details')}</legend>
          <div class="row2">
            <label>
              {t('offers.customerSearch')}
              <input value={customerName} onInput={(e) => findCustomer(e.currentTarget.value)} aria-controls={found.length ? "customer-found" : undefined} />
            </label>
            <label>
              {t('offers.customerId')}
              <input name="customer" required value={customer} onInput={(e) => setCustomer(e.currentTarget.value)} />
            </label>
            <label>
              {t('offers.currency')}
              <select value={currency} onChange={(e) => setCurrency(e.currentTarget.value)}>
                {['PLN', 'EUR', 'USD'].map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </label>
          </div>
          {found.length > 0 && (
            <ul id="customer-found" class="picker" aria-label={t('offers.customerFound')}>
              {found.map((c) => (
                <li key={c.id}>
                  <button
                    type="button"
                    class="link"
                    onClick={() => {
                      setCustomer(c.id);
                      setCustomerName(c.name);
                      setFound([]);
                    }}
                  >
                    {c.name} ({c.id})
                  </button>
                </li>
              ))}
            </ul>
          )}
          <table class="lines">
            <thead>
              <tr>
                <th scope="col">{t('offers.product')}</th>
                <th scope="col">{t('offers.quantity')}</th>
                <th scope="col">{t('offers.unitPrice')}</th>
                <th scope="col">{t('offers.discount')}</th>
                <th scope="col">{t('offers.taxRate')}</th>
                <th scope="col" class="num">
                  {t('offers.net')}
                </th>
                <th scope="col">
                  <span class="sr-only">{t('inbox.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l, i) => {
                const priced = preview && preview.lines && preview.lines[i];
                return (
                  <tr key={i} data-line={i}>
                    <td>
                      <ProductInput line={l} n={i + 1} disabled={locked} onChange={(change) => setLine(i, change)} />
                    </td>
                    <td>
                      <input class="short" inputMode="decimal" aria-label={t('offers.quantityOf', { n: i + 1 })} value={l.quantity} onInput={(e) => setLine(i, { quantity: e.currentTarget.value })} />
                    </td>
                    <td>
                      <input
                        class="short"
                        inputMode="decimal"
                        aria-label={t('offers.unitPriceOf', { n: i + 1 })}
                        placeholder={priced ? priced.unitPrice : ''}
                        value={l.unitPrice}
                        onInput={(e) => setLine(i, { unitPrice: e.currentTarget.value })}
                      />
                    </td>
                    <td>
                      <input class="short" inputMode="decimal" aria-label={t('offers.discountOf', { n: i + 1 })} value={l.discountPercent} onInput={(e) => setLine(i, { discountPercent: e.currentTarget.value })} />
                    </td>
                    <td>
                      <select aria-label={t('offers.taxRateOf', { n: i + 1 })} value={l.taxRate} onChange={(e) => setLine(i, { taxRate: e.currentTarget.value })}>
                        <option value="">{priced ? `(${priced.taxRate})` : '—'}</option>
                        {RATES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td class="num" data-net>
                      {priced ? formatMoney(priced.net, currency) : ''}
                    </td>
                    <td>
                      <button type="button" class="secondary" onClick={() => setLines(lines.filter((_, k) => k !== i))}>
                        {t('form.removeRow')}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <button type="button" class="secondary" onClick={() => setLines([...lines, blankLine()])}>
            {t('offers.addLine')}
          </button>
          <label>
            {t('offers.notes')}
            <textarea value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />
          </label>
        </fieldset>
        {previewError && (
          <p class="error" role="alert">
            {previewError}
          </p>
        )}
        {preview && preview.totals && (
          <dl class="totals" aria-live="polite">
            {preview.totals.byRate.map((r) => (
              <>
                <dt>{t('offers.vatAt', { rate: r.rate })}</dt>
                <dd>
                  {formatMoney(r.net, currency)} + {formatMoney(r.tax, currency)}
                </dd>
              </>
            ))}
            <dt>{t('offers.net')}</dt>
            <dd data-total="net">{formatMoney(preview.totals.net, currency)}</dd>
            <dt>{t('offers.tax')}</dt>
            <dd data-total="tax">{formatMoney(preview.totals.tax, currency)}</dd>
            <dt>{t('offers.gross')}</dt>
            <dd data-total="gross">
              <strong>{formatMoney(preview.totals.gross, currency)}</strong>
            </dd>
          </dl>
        )}
        <div class="actions">
          {!locked && <button type="submit">{t('offers.save')}</button>}
          {offer && offer.status === 'draft' && (
            <button type="button" class="secondary" onClick={() => act('send', async () => fill(await post(`/api/crm/offers/${offer.id}/send`)))}>
              {t('offers.send')}
            </button>
          )}
          {offer && (offer.status === 'draft' || offer.status === 'sent') && (
            <button type="button" class="secondary" onClick={() => act('accept', async () => fill(await post(`/api/crm/offers/${offer.id}/accept`)))}>
              {t('offers.accept')}
            </button>
          )}
          {offer && (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                act('pdf', async () => {
                  const d = await post(`/api/crm/offers/${offer.id}/pdf`);
                  setPdf(d.id);
                })
              }
            >
              {t('offers.pdf')}
            </button>
          )}
          {offer && offer.status === 'accepted' && !offer.order && (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                act('order', async () => {
                  await post(`/api/crm/offers/${offer.id}/order`);
                  fill(await get(`/api/crm/offers/${offer.id}`));
                })
              }
            >
              {t('offers.order')}
            </button>
          )}
          {locked && offer.status === 'accepted' && (
            <button
              type="button"
              class="secondary"
              onClick={() =>
                act('revise', async () => {
                  const r = await post(`/api/crm/offers/${offer.id}/revisions`, {});
                  navigate(`/offers/${r.id}`);
                })
              }
            >
              {t('offers.revise')}
            </button>
          )}
        </div>
      </form>
      <p class="status" role="status" aria-live="polite">
        {status}
        {pdf && (
          <>
            {' '}
            <a href={`/api/documents/${pdf}/content`} target="_blank" rel="noopener">
              {t('offers.openPdf')}
            </a>
          </>
        )}
        {offer && offer.order && (
          <>
            {' '}
            <a href={`/orders/${offer.order}`}>{t('offers.orderMade', { id: offer.order })}</a>
          </>
        )}
      </p>
      <ErrorText text={error} />
    </article>
  );
}


