import { useEffect, useState } from 'preact/hooks';
import { api, get, post, withQuery } from './api.js';
import { formatDate, formatMoney, t } from './i18n.js';
import { ErrorText, problemOf } from './ui.jsx';

const FLOW = ['confirmed', 'in-fulfilment', 'delivered', 'invoiced', 'paid'];

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// The orders the user may see, newest first: all, by status, the unpaid or the overdue
// (GET /api/crm/orders), with what is paid and outstanding.
export function Orders() {
  const [filter, setFilter] = useState('');
  const [items, setItems] = useState([]);
  const [next, setNext] = useState('');
  const [error, setError] = useState('');
  const query = (after) => {
    const q = { limit: 50, after: after || undefined };
    if (filter === 'unpaid' || filter === 'overdue') q[filter] = 'true';
    else if (filter) q.status = filter;
    return withQuery('/api/crm/orders', q);
  };
  useEffect(() => {
    setError('');
    get(query(''))
      .then((p) => {
        setItems(p.items);
        setNext(p.next || '');
      })
      .catch((e) => setError(e.message));
  }, [filter]);
  const more = async () => {
    try {
      const p = await get(query(next));
      setItems(items.concat(p.items));
      setNext(p.next || '');
    } catch (e) {
      setError(e.message);
    }
  };
  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">{t('orders.title')}</h1>
      <div class="toolbar">
        <label>
          {t('orders.show')}{' '}
          <select value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
            <option value="">{t('offers.any')}</option>
            <option value="unpaid">{t('orders.unpaid')}</option>
            <option value="overdue">{t('orders.overdue')}</option>
            {FLOW.concat(['cancelled']).map((s) => (
              <option key={s} value={s}>
                {t(`order.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorText text={error} />
      {items.length === 0 ? (
        <p class="empty">{t('orders.none')}</p>
      ) : (
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
              <th scope="col" class="num">
                {t('orders.outstanding')}
              </th>
              <th scope="col">{t('orders.dueOn')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((o) => (
              <tr key={o.id} data-order={o.id}>
                <td>
                  <a href={`/orders/${o.id}`}>{o.number}</a>
                </td>
                <td class="wide">
                  <a href={`/customers/${o.customer}`}>{o.customerName || o.customer}</a>
                </td>
                <td>
                  {t(`order.${o.status}`)}
                  {o.overdue && <span class="tag tag-case">{t('orders.isOverdue')}</span>}
                </td>
                <td class="num">{formatMoney(o.totals.gross, o.currency)}</td>
                <td class="num">{formatMoney(o.outstanding, o.currency)}</td>
                <td>{o.dueOn ? formatDate(o.dueOn) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" class="secondary" onClick={more}>
          {t('inbox.more')}
        </button>
      )}
    </section>
  );
}

// One order: its lines and totals, where it is in its life (moved on a step at a time, or
// cancelled before it is invoiced; the server refuses what its life does not allow, and the
// page says why), the invoice number, the payments recorded and what is outstanding, and a
// payment recorded (the one that settles an invoiced or delivered order marks it paid).
export function OrderPage({ id }) {
  const [order, setOrder] = useState(null);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [invoice, setInvoice] = useState('');
  const [pay, setPay] = useState({ amount: '', date: today(), reference: '' });
  const [payError, setPayError] = useState(null);

  const load = async () => {
    try {
      const o = await get(`/api/crm/orders/${id}`);
      setOrder(o);
      setInvoice(o.invoiceNumber || '');
      document.title = `${o.number} · Quire`;
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
  }, [id]);
  if (!order) return error ? <ErrorText text={error} /> : <p>{t('app.loading')}</p>;

  const at = FLOW.indexOf(order.status);
  const nextStep = at >= 0 && at < FLOW.length - 2 ? FLOW[at + 1] : null; // paid comes from payments
  const change = async (patch, done) => {
    setError('');
    setStatus('');
    try {
      await api('PATCH', `/api/crm/orders/${id}`, patch);
      setStatus(done);
      await load();
    } catch (e) {
      setError(e.message);
    }
  };
  const recordPayment = async (event) => {
    event.preventDefault();
    setPayError(null);
    try {
      await post(`/api/crm/orders/${id}/payments`, { amount: pay.amount.trim().replace(',', '.'), date: pay.date, reference: pay.reference || undefined });
      setPay({ amount: '', date: today(), reference: '' });
      setStatus(t('orders.paymentRecorded'));
      await load();
    } catch (e) {
      setPayError(problemOf(e));
    }
  };

  return (
    <article aria-labelledby="order-title">
      <p>
        <a href="/orders">{t('orders.back')}</a>
      </p>
      <h1 id="order-title">
        {t('orders.titleOf', { number: order.number })}{' '}
        <span class="tag" data-status={order.status}>
          {t(`order.${order.status}`)}
        </span>
        {order.overdue && <span class="tag tag-case">{t('orders.isOverdue')}</span>}
      </h1>
      <p class="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorText text={error} />
      <dl class="facts">
        <dt>{t('offers.customer')}</dt>
        <dd>
          <a href={`/customers/${order.customer}`}>{order.customer}</a>
        </dd>
        <dt>{t('orders.fromOffer')}</dt>
        <dd>
          <a href={`/offers/${order.offer}`}>{order.offer}</a>
        </dd>
        <dt>{t('orders.orderedOn')}</dt>
        <dd>{formatDate(order.orderedOn)}</dd>
        {order.deliveredOn && (
          <>
            <dt>{t('orders.deliveredOn')}</dt>
            <dd>{formatDate(order.deliveredOn)}</dd>
          </>
        )}
        {order.invoicedOn && (
          <>
            <dt>{t('orders.invoicedOn')}</dt>
            <dd>
              {formatDate(order.invoicedOn)} {order.invoiceNumber}
            </dd>
          </>
        )}
        <dt>{t('orders.dueOn')}</dt>
        <dd>{order.dueOn ? formatDate(order.dueOn) : '—'}</dd>
        <dt>{t('orders.paid')}</dt>
        <dd data-paid>{formatMoney(order.paid, order.currency)}</dd>
        <dt>{t('orders.outstanding')}</dt>
        <dd data-outstanding>{formatMoney(order.outstanding, order.currency)}</dd>
      </dl>

      {order.status !== 'paid' && order.status !== 'cancelled' && (
        <div class="actions">
          {nextStep === 'invoiced' && (
            <label>
              {t('orders.invoiceNumber')} <input value={invoice} onInput={(e) => setInvoice(e.currentTarget.value)} />
            </label>
          )}
          {nextStep && (
            <button type="button" onClick={() => change(nextStep === 'invoiced' && invoice ? { status: nextStep, invoiceNumber: invoice } : { status: nextStep }, t('orders.moved', { status: t(`order.${nextStep}`) }))}>
              {t(`orders.to.${nextStep}`)}
            </button>
          )}
          {at < FLOW.indexOf('invoiced') && (
            <button type="button" class="secondary" onClick={() => confirm(t('orders.cancelConfirm', { number: order.number })) && change({ status: 'cancelled' }, t('orders.cancelled'))}>
              {t('orders.cancel')}
            </button>
          )}
        </div>
      )}

      <table class="lines">
        <thead>
          <tr>
            <th scope="col" class="wide">
              {t('offers.product')}
            </th>
            <th scope="col" class="num">
              {t('offers.quantity')}
            </th>
            <th scope="col" class="num">
              {t('offers.unitPrice')}
            </th>
            <th scope="col">{t('offers.taxRate')}</th>
            <th scope="col" class="num">
              {t('offers.net')}
            </th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((l, i) => (
            <tr key={i}>
              <td class="wide">
                {l.code && <span class="sub">{l.code} </span>}
                {l.name}
              </td>
              <td class="num">
                {l.quantity} {l.unit}
              </td>
              <td class="num">{formatMoney(l.unitPrice, order.currency)}</td>
              <td>{l.taxRate}</td>
              <td class="num">{formatMoney(l.net, order.currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={4}>
              {t('offers.gross')}
            </th>
            <td class="num">{formatMoney(order.totals.gross, order.currency)}</td>
          </tr>
        </tfoot>
      </table>

      <h2>{t('orders.payments')}</h2>
      {order.payments.length === 0 ? (
        <p class="empty">{t('orders.noPayments')}</p>
      ) : (
        <ul class="plain" data-payments>
          {order.payments.map((p, i) => (
            <li key={i}>
              {formatDate(p.date)} · {formatMoney(p.amount, order.currency)} {p.reference && `· ${p.reference}`} <span class="sub">{p.recordedBy}</span>
            </li>
          ))}
        </ul>
      )}
      {order.status !== 'cancelled' && Number(order.outstanding) > 0 && (
        <form class="inline-form" onSubmit={recordPayment} aria-label={t('orders.recordPayment')}>
          <label>
            {t('orders.amount')}
            <input required inputMode="decimal" value={pay.amount} aria-invalid={payError && payError.field === 'amount' ? 'true' : undefined} onInput={(e) => setPay({ ...pay, amount: e.currentTarget.value })} />
          </label>
          <label>
            {t('orders.paidOn')}
            <input type="date" required value={pay.date} onInput={(e) => setPay({ ...pay, date: e.currentTarget.value })} />
          </label>
          <label>
            {t('orders.reference')}
            <input value={pay.reference} onInput={(e) => setPay({ ...pay, reference: e.currentTarget.value })} />
          </label>
          <button type="submit">{t('orders.recordPayment')}</button>
          {payError && (
            <p role="alert" class="error">
              {payError.message}
            </p>
          )}
        </form>
      )}
    </article>
  );
}
