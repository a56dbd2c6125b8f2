import { t } from './i18n.js';

// A task's form from its typed fields (GET /api/tasks/{id}/form: Quire's fields, Camunda 7
// form fields, and Camunda Forms schemas the server reads into the same fields). Checked
// here before sending, by the rules the server checks again on completion; the server's
// errors are shown at their fields too.

// The value a field starts with: the task's variable of that name, else its default.
export function initialValues(fields, variables = {}) {
  const values = {};
  for (const f of fields) {
    const v = lookup(variables, f.name);
    values[f.name] = v !== undefined ? fromValue(f, v) : fromDefault(f);
  }
  return values;
}

function lookup(object, dotted) {
  let v = object;
  for (const part of dotted.split('.')) {
    if (v === null || typeof v !== 'object' || !(part in v)) return undefined;
    v = v[part];
  }
  return v;
}

function fromValue(f, v) {
  if (f.type === 'boolean') return v === true;
  if (f.type === 'multiselect') return Array.isArray(v) ? v.map(String) : [];
  if (f.type === 'list') return Array.isArray(v) ? v.map((row) => initialValues(f.rows || [], row)) : [];
  if (f.type === 'datetime' && typeof v === 'string') return toLocalInput(v);
  return v === null ? '' : String(v);
}

function fromDefault(f) {
  if (f.type === 'boolean') return f.default === 'true';
  if (f.type === 'multiselect') return f.default ? f.default.split(',').map((s) => s.trim()) : [];
  if (f.type === 'list') return [];
  return f.default ?? '';
}

function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// The variables to send: typed values, dotted names as nested objects, empty optional
// fields left out.
export function toVariables(fields, values) {
  const out = {};
  for (const f of fields) {
    if (f.readOnly) continue;
    const v = typed(f, values[f.name]);
    if (v === undefined) continue;
    const parts = f.name.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = o[p] ??= {};
    o[parts[parts.length - 1]] = v;
  }
  return out;
}

function typed(f, v) {
  switch (f.type) {
    case 'boolean':
      return v === true;
    case 'multiselect':
      return v && v.length ? v : undefined;
    case 'list':
      return (v || []).map((row) => toVariables(f.rows || [], row));
    case 'number':
      return v === '' ? undefined : Number(v);
    case 'long':
      return v === '' ? undefined : Number.parseInt(v, 10);
    case 'datetime':
      return v === '' ? undefined : new Date(v).toISOString();
    default:
      return v === '' ? undefined : v;
  }
}

// { name: message } for the fields whose values break their rules.
export function validate(fields, values) {
  const errors = {};
  for (const f of fields) {
    if (f.readOnly) continue;
    const v = values[f.name];
    const empty = v === '' || v === undefined || (Array.isArray(v) && v.length === 0);
    if (empty) {
      if (f.required && f.type !== 'boolean') errors[f.name] = t('form.required');
      continue;
    }
    if (f.type === 'number' || f.type === 'long') {
      const n = Number(v);
      if (Number.isNaN(n) || (f.type === 'long' && !Number.isInteger(n))) errors[f.name] = t(f.type === 'long' ? 'form.wholeNumber' : 'form.number');
      else if (f.min !== undefined && n < f.min) errors[f.name] = t('form.min', { min: f.min });
      else if (f.max !== undefined && n > f.max) errors[f.name] = t('form.max', { max: f.max });
    } else if (typeof v === 'string') {
      if (f.minLength !== undefined && v.length < f.minLength) errors[f.name] = t('form.minLength', { n: f.minLength });
      else if (f.maxLength !== undefined && v.length > f.maxLength) errors[f.name] = t('form.maxLength', { n: f.maxLength });
      else if (f.pattern) {
        try {
          if (!new RegExp(f.pattern, 'u').test(v)) errors[f.name] = t('form.pattern');
        } catch {
          // a pattern JavaScript cannot read: the server checks it
        }
      }
    }
    if (f.type === 'list') {
      v.forEach((row, i) => {
        const rowErrors = validate(f.rows || [], row);
        for (const [name, message] of Object.entries(rowErrors)) errors[`${f.name}[${i}].${name}`] = message;
      });
    }
  }
  return errors;
}

export function FormFields({ fields, values, errors, onChange, idPrefix = 'f' }) {
  return fields.map((f) => (
    <Field key={f.name} f={f} value={values[f.name]} errors={errors} onChange={(v) => onChange({ ...values, [f.name]: v })} idPrefix={idPrefix} />
  ));
}

function Field({ f, value, errors, onChange, idPrefix }) {
  const id = `${idPrefix}-${f.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const error = errors[f.name];
  const describedBy = error ? `${id}-error` : undefined;
  const label = (
    <>
      {f.label || f.name}
      {f.required && <span aria-hidden="true"> *</span>}
    </>
  );
  const common = {
    id,
    name: f.name,
    required: f.required,
    disabled: f.readOnly,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy,
  };
  let control;
  switch (f.type) {
    case 'boolean':
      return (
        <div class="field check">
          <input type="checkbox" {...common} required={false} checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />
          <label for={id}>{label}</label>
          {error && <FieldError id={describedBy} text={error} />}
        </div>
      );
    case 'enum':
      control = (
        <select {...common} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          <option value="">{t('form.choose')}</option>
          {optionsOf(f).map((o) => (
            <option key={o.value} value={o.value}>
              {o.label || o.value}
            </option>
          ))}
        </select>
      );
      break;
    case 'multiselect':
      return (
        <fieldset class="field" aria-describedby={describedBy}>
          <legend>{label}</legend>
          {optionsOf(f).map((o) => (
            <label key={o.value} class="check">
              <input
                type="checkbox"
                name={f.name}
                disabled={f.readOnly}
                checked={(value || []).includes(o.value)}
                onChange={(e) => onChange(e.currentTarget.checked ? [...(value || []), o.value] : (value || []).filter((x) => x !== o.value))}
              />
              {o.label || o.value}
            </label>
          ))}
          {error && <FieldError id={describedBy} text={error} />}
        </fieldset>
      );
    case 'list':
      return (
        <fieldset class="field rows" aria-describedby={describedBy}>
          <legend>{label}</legend>
          {(value || []).map((row, i) => (
            <div class="row" key={i}>
              <FormFields
                fields={f.rows || []}
                values={row}
                errors={Object.fromEntries(
                  Object.entries(errors)
                    .filter(([k]) => k.startsWith(`${f.name}[${i}].`))
                    .map(([k, m]) => [k.slice(`${f.name}[${i}].`.length), m]),
                )}
                idPrefix={`${id}-${i}`}
                onChange={(r) => onChange(value.map((x, k) => (k === i ? r : x)))}
              />
              <button type="button" class="secondary" onClick={() => onChange(value.filter((_, k) => k !== i))}>
                {t('form.removeRow')}
              </button>
            </div>
          ))}
          <button type="button" class="secondary" disabled={f.readOnly} onClick={() => onChange([...(value || []), initialValues(f.rows || [])])}>
            {t('form.addRow')}
          </button>
          {error && <FieldError id={describedBy} text={error} />}
        </fieldset>
      );
    case 'number':
    case 'long':
      control = (
        <input
          type="number"
          {...common}
          step={f.type === 'long' ? 1 : 'any'}
          min={f.min}
          max={f.max}
          value={value}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      );
      break;
    case 'date':
      control = <input type="date" {...common} value={value} onInput={(e) => onChange(e.currentTarget.value)} />;
      break;
    case 'time':
      control = <input type="time" {...common} value={value} onInput={(e) => onChange(e.currentTarget.value)} />;
      break;
    case 'datetime':
      control = <input type="datetime-local" {...common} value={value} onInput={(e) => onChange(e.currentTarget.value)} />;
      break;
    default:
      control =
        f.maxLength && f.maxLength > 200 ? (
          <textarea {...common} maxLength={f.maxLength} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
        ) : (
          <input type="text" {...common} maxLength={f.maxLength} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
        );
  }
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {control}
      {error && <FieldError id={describedBy} text={error} />}
    </div>
  );
}

// Allowed values: [{value, label}] as task forms send them, or ["a", "b"] as document types
// declare them.
function optionsOf(f) {
  if (f.options) return f.options;
  return (f.values || []).map((v) => (typeof v === 'string' ? { value: v } : v));
}

function FieldError({ id, text }) {
  return (
    <p class="field-error" id={id}>
      {text}
    </p>
  );
}
